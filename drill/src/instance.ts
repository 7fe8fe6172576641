import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";

/** One `reeltime process` instance of the drill, with its metrics port and its log file. */
export class Instance {
  child: ChildProcess | undefined;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly logFile: string;
  readonly #bin: string;
  constructor(bin: string, port: number, env: Record<string, string>, logFile: string) {
    this.#bin = bin;
    this.port = port;
    this.env = env;
    this.logFile = logFile;
  }
  start() {
    const out = openSync(this.logFile, "a");
    this.child = spawn(process.execPath, [this.#bin, "process", "--metrics-port", String(this.port)], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", out, out],
    });
  }
  /** kill -9: no flush, no commit, no goodbye to the group. */
  kill() {
    this.child?.kill("SIGKILL");
  }
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (c.exitCode === null) c.kill("SIGKILL");
  }
  /** The sum of one metric's samples (all labels), or undefined while the instance does not answer. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
      return sumMetric(text, name, labels);
    } catch {
      return undefined;
    }
  }
  /** Sum of reeltime_consumer_lag_messages, or undefined while the instance does not answer. */
  lag(): Promise<number | undefined> {
    return this.metric("reeltime_consumer_lag_messages");
  }
  /** Failed attempts to write to one store, per processor, logged between `fromMs` and `toMs` (see countFailures). */
  failuresLogged(store: Store, fromMs: number, toMs: number): Map<string, number> {
    let text: string;
    try {
      text = readFileSync(this.logFile, "utf8");
    } catch {
      return new Map();
    }
    return countFailures(text, store, fromMs, toMs);
  }
}

/** Sum of a metric's samples in Prometheus text whose labels include `labels`; undefined when absent. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum = 0;
  let seen = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    seen = true;
  }
  return seen ? sum : undefined;
}

/** The stores the drill stops, as their adapters name them in errors. */
export type Store = "search" | "archive";

/**
 * Counts, per processor, the runtime's failure warnings ("<name>: batch failed, it will be
 * delivered again", "<name>: tick failed...") in pino JSON lines stamped between `fromMs` and
 * `toMs` whose error says the store was unavailable ("search unavailable: ...", "archive
 * unavailable: ..."). Each one is a flush or upload that failed and is tried again.
 */
export function countFailures(text: string, store: Store, fromMs: number, toMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("{") || !line.includes(`${store} unavailable`)) continue;
    let rec: { message?: unknown; "@timestamp"?: unknown; err?: { message?: unknown } };
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    const what = /^([\w-]+): (batch|tick) failed/.exec(String(rec.message ?? ""));
    const at = Date.parse(String(rec["@timestamp"] ?? ""));
    if (!what || !String(rec.err?.message ?? "").startsWith(`${store} unavailable`)) continue;
    if (at >= fromMs && at <= toMs) out.set(what[1]!, (out.get(what[1]!) ?? 0) + 1);
  }
  return out;
}
