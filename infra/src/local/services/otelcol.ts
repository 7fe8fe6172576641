import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { goBuild } from "../install/go.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const PORT = LOCAL_ENDPOINTS.otel.port;
/** The collector's main package and its pinned modules (go.mod, go.sum), kept in this repository. */
const SOURCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../local/otelcol");

/** Where the collector writes every span it receives, one OTLP/JSON `TracesData` per line. */
export function collectorTracesFile(stateDir: string): string {
  return join(stateDir, "otelcol", "traces.jsonl");
}

/** The collector's config: OTLP/HTTP on loopback in, JSON lines out, its own metrics off (no :8888). */
export function renderCollectorConfig(opts: { port: number; tracesFile: string }): string {
  return [
    "receivers:",
    "  otlp:",
    "    protocols:",
    "      http:",
    `        endpoint: 127.0.0.1:${opts.port}`,
    "exporters:",
    "  file:",
    `    path: ${JSON.stringify(opts.tracesFile)}`,
    "    flush_interval: 200ms",
    "    rotation:",
    "      max_megabytes: 64",
    "      max_backups: 1",
    "service:",
    "  telemetry:",
    "    metrics:",
    "      level: none",
    "  pipelines:",
    "    traces:",
    "      receivers: [otlp]",
    "      exporters: [file]",
    "",
  ].join("\n");
}

/** The build's cache key: the release plus a hash of the sources, so an edit to them rebuilds. */
function buildVersion(): string {
  const hash = createHash("sha256");
  for (const f of ["main.go", "go.mod", "go.sum"]) hash.update(readFileSync(join(SOURCE_DIR, f)));
  return `${VERSIONS.otelcol}-${hash.digest("hex").slice(0, 12)}`;
}

function binaryPath(ctx: ServiceContext): Promise<{ binary: string; built: boolean }> {
  return goBuild(ctx, "otelcol", SOURCE_DIR, buildVersion());
}

/**
 * A minimal OpenTelemetry Collector (OTLP receiver + file exporter), built from Go modules at
 * one pinned release and cached as a binary: where the processes' spans go when
 * OTEL_EXPORTER_OTLP_ENDPOINT points at it, and what the tracing integration test reads.
 */
export const otelcol: LocalService = {
  name: "otelcol",
  ports: [PORT],
  url: LOCAL_ENDPOINTS.otel.endpoint,
  startTimeoutMs: 30_000,

  async install(ctx) {
    return (await binaryPath(ctx)).built;
  },

  async prepare(ctx) {
    const { binary } = await binaryPath(ctx);
    mkdirSync(ctx.dir, { recursive: true });
    const config = join(ctx.dir, "config.yaml");
    writeFileSync(
      config,
      renderCollectorConfig({ port: PORT, tracesFile: collectorTracesFile(ctx.settings.stateDir) }),
    );
    return { command: binary, args: ["--config", config], cwd: ctx.dir, env: { ...process.env } };
  },

  async probe() {
    // The OTLP/HTTP receiver has no health endpoint: an empty export it accepts is the check.
    const res = await fetch(`${LOCAL_ENDPOINTS.otel.endpoint}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"resourceSpans":[]}',
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return { healthy: res.ok, version: VERSIONS.otelcol, ...(res.ok ? {} : { detail: `answered ${res.status}` }) };
  },
};
