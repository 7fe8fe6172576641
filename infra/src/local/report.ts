import type { ServiceStatus } from "./status.ts";
import type { UpResult } from "./up-result.ts";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd()).join("\n");
}

/** The closing table of `up`: per-service time, and the total labelled cold or warm. */
export function formatUpSummary(result: UpResult, failures: number): string {
  const rows = [["service", "url", "pid", "state", "version", "time"]];
  for (const s of result.services) {
    rows.push([
      s.name,
      s.url,
      String(s.pid),
      s.action === "started" ? (s.installed ? "installed+started" : "started") : "already running",
      s.version ?? "",
      seconds(s.ms),
    ]);
  }
  if (result.apt.installed.length > 0)
    rows.push(["apt", result.apt.installed.join(" "), "", "installed", "", seconds(result.apt.ms)]);
  const provisioned = result.services
    .filter((s) => s.provisioned)
    .map((s) => `  ${s.name}: ${s.provisioned}`)
    .join("\n");
  const kind = result.cold ? "cold start (downloads/builds/apt installs ran)" : "warm start (everything cached)";
  const verdict =
    failures === 0
      ? `all ${result.services.length} services healthy in ${seconds(result.totalMs)}, ${kind}`
      : `${failures} failed after ${seconds(result.totalMs)}`;
  return `${table(rows)}\n${provisioned ? `${provisioned}\n` : ""}reeltime infra up: ${verdict}`;
}

/** `reeltime infra status` as a table. */
export function formatStatusTable(statuses: readonly ServiceStatus[]): string {
  const rows = [["service", "port", "pid", "health", "version", "log"]];
  for (const s of statuses) {
    rows.push([
      s.name,
      String(s.port),
      s.pid === null ? "-" : String(s.pid),
      s.healthy ? "healthy" : s.running ? "unhealthy" : "down",
      s.version ?? "-",
      s.log,
    ]);
  }
  const notes = statuses
    .filter((s) => s.detail && s.running !== s.healthy)
    .map((s) => `  ${s.name}: ${s.detail}`)
    .join("\n");
  return `${table(rows)}${notes ? `\n${notes}` : ""}`;
}
