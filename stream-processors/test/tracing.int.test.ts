import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleEvent } from "@reeltime/events";
import { collectorTracesFile, LOCAL_ENDPOINTS, loadSettings, localServicesEnv } from "@reeltime/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The installed `reeltime` program (the workspace bin npm links at the repository root). */
const BIN = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "reeltime");

import { waitFor } from "./fixtures.ts";

// ingest → real Kafka → the indexer, both as `reeltime` processes exporting OTLP to the local
// collector of `reeltime infra up`; the spans are read back from the collector's JSON lines.
// The indexer joins the group `reeltime-indexer`: another indexer of that group running on the
// same Kafka at the same time (a developer's `reeltime process`) may take the event's partition.

const WRITE_KEY = "wk_trace_0123456789abcdef";
const run = `trace-${Date.now().toString(36)}`;
const services = { ingest: `reeltime-ingest-${run}`, indexer: `reeltime-indexer-${run}` };

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: Record<string, unknown> }[];
}
type Received = OtlpSpan & { service: string };

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/**
 * The spans the collector wrote (OTLP/JSON `TracesData`, one per line) after byte `from`, with
 * their service name; from the start when the file was rotated since.
 */
function receivedSpans(file: string, from: number): Received[] {
  const out: Received[] = [];
  const text = readFileSync(file)
    .subarray(sizeOf(file) < from ? 0 : from)
    .toString("utf8");
  // The collector appends one line per export: a last line without its newline is still being
  // written (read mid-write, it is cut JSON); the next poll reads it whole.
  for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
    if (!line.trim()) continue;
    for (const rs of JSON.parse(line).resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === "service.name")?.value
        ?.stringValue;
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.push({ ...s, service });
    }
  }
  return out;
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v ? (v.stringValue ?? v.intValue ?? v.boolValue) : undefined;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

describe("traces from ingest through Kafka to the indexer", () => {
  const tracesFile = collectorTracesFile(loadSettings().stateDir);
  const dir = mkdtempSync(join(tmpdir(), "reeltime-tracing-int-"));
  let ingest: ChildProcess | undefined;
  let indexer: ChildProcess | undefined;
  let ingestUrl = "";
  let from = 0;

  beforeAll(async () => {
    const collector = await fetch(`${LOCAL_ENDPOINTS.otel.endpoint}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"resourceSpans":[]}',
    }).catch(() => undefined);
    if (!collector?.ok)
      throw new Error(`no OTLP collector at ${LOCAL_ENDPOINTS.otel.endpoint}: run \`npx reeltime infra up\` first`);
    from = sizeOf(tracesFile);
    const [ingestPort, metricsPort] = [await freePort(), await freePort()];
    const env = {
      ...process.env,
      ...localServicesEnv(),
      REELTIME_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: LOCAL_ENDPOINTS.otel.endpoint,
      // Export within a fraction of a second instead of the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: "100",
      LOG_LEVEL: "warn",
    };
    const log = (name: string) => openSync(join(dir, `${name}.log`), "a");
    indexer = spawn(process.execPath, [BIN, "process", "--only", "indexer", "--metrics-port", String(metricsPort)], {
      env: { ...env, OTEL_SERVICE_NAME: services.indexer, REELTIME_INDEXER_FLUSH_MS: "100" },
      stdio: ["ignore", log("indexer"), log("indexer")],
    });
    ingest = spawn(process.execPath, [BIN, "ingest"], {
      env: {
        ...env,
        OTEL_SERVICE_NAME: services.ingest,
        PORT: String(ingestPort),
        HOST: "127.0.0.1",
        REELTIME_WRITE_KEYS: `shop:${WRITE_KEY}`,
      },
      stdio: ["ignore", log("ingest"), log("ingest")],
    });
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    await waitFor(
      "ingest ready",
      async () => (await fetch(`${ingestUrl}/readyz`).catch(() => undefined))?.ok === true,
      60_000,
    );
    await waitFor(
      "indexer up",
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined))?.ok === true,
      60_000,
    );
  });
  afterAll(async () => {
    await Promise.all([stop(ingest), stop(indexer)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the indexer's batch span links to the ingest request span of the traceparent the client sent", async () => {
    // The client's own trace: ingest's request span is its child, and every span after is tied to it.
    const traceId = randomBytes(16).toString("hex");
    const clientSpan = randomBytes(8).toString("hex");
    const event = { ...exampleEvent("playback.heartbeat", { seq: 0 }), view_id: `view-${run}` };
    const res = await fetch(`${ingestUrl}/v1/events`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-reeltime-key": WRITE_KEY,
        traceparent: `00-${traceId}-${clientSpan}-01`,
      },
      body: JSON.stringify({ events: [event] }),
    });
    expect(res.status, await res.text()).toBe(200);

    let ingestSpans: Received[] = [];
    let batch: Received | undefined;
    let flush: Received | undefined;
    const linksTo = (s: OtlpSpan) => s.links?.some((l) => l.traceId === traceId) === true;
    try {
      await waitFor(
        "the ingest spans and the indexer's batch span at the collector",
        async () => {
          const spans = existsSync(tracesFile) ? receivedSpans(tracesFile, from) : [];
          ingestSpans = spans.filter((s) => s.service === services.ingest && s.traceId === traceId);
          batch = spans.find((s) => s.service === services.indexer && s.name.startsWith("process ") && linksTo(s));
          flush = spans.find((s) => s.service === services.indexer && s.name === "index events" && linksTo(s));
          return ingestSpans.length > 0 && batch !== undefined && flush !== undefined;
        },
        90_000,
      );
    } catch (err) {
      const tail = (name: string) => readFileSync(join(dir, `${name}.log`), "utf8").slice(-2000);
      throw new Error(`${(err as Error).message}\ningest log:\n${tail("ingest")}\nindexer log:\n${tail("indexer")}`);
    }

    // Ingest's request span continues the client's trace.
    const request = ingestSpans.find((s) => s.parentSpanId === clientSpan);
    expect(request, JSON.stringify(ingestSpans.map((s) => [s.name, s.parentSpanId]))).toBeDefined();
    expect(request!.kind).toBe(2); // SERVER

    // The batch span: a consumer span of the indexer on the playback topic, linked to a span of ingest
    // in the client's trace (the one active when the event was published).
    const link = batch!.links!.find((l) => l.traceId === traceId)!;
    const producer = ingestSpans.find((s) => s.spanId === link.spanId);
    expect(producer, `link ${link.spanId} is not a span ingest sent`).toBeDefined();
    expect(batch!.traceId).not.toBe(traceId);
    expect(batch!.name).toBe("process reeltime.playback");
    expect(batch!.kind).toBe(5); // CONSUMER
    expect(attr(batch!, "messaging.system")).toBe("kafka");
    expect(attr(batch!, "messaging.consumer.group.name")).toBe("reeltime-indexer");
    expect(attr(batch!, "reeltime.processor")).toBe("indexer");
    expect(Number(attr(batch!, "messaging.batch.message_count"))).toBeGreaterThanOrEqual(1);

    // The Elasticsearch flush that wrote the event links to the same producer span.
    expect(flush!.links).toContainEqual(expect.objectContaining({ traceId, spanId: link.spanId }));
    expect(attr(flush!, "db.system.name")).toBe("elasticsearch");
  });
});
