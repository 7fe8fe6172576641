import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { OUT_DIR } from "./report.ts";
import { RUN_ID } from "./services.ts";

export const SERVER_SCRIPT = join(import.meta.dirname, "servers", "ingest-server.ts");
export const PROFILE_DIR = join(OUT_DIR, "profiles");

export interface ServerHandle {
  port: number;
  url: string;
  child: ChildProcess;
  /** CPU time (user + system, µs) the server process used so far. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts servers/ingest-server.ts in its own process (optionally with --cpu-prof) and waits until
 * it listens. `env` adds to the server's environment (REELTIME_BENCH_BUS, REELTIME_BUS_RECORD_FORMAT);
 * `root` runs the server script of another checkout of reeltime (the ingest benchmark's --before).
 */
export async function startServer(
  mode: string,
  app: string,
  profile = false,
  env: Record<string, string> = {},
  root?: string,
): Promise<ServerHandle> {
  const execArgv: string[] = [];
  if (profile) {
    const tag = `${root ? "before-" : ""}${env.REELTIME_BUS_RECORD_FORMAT ? `${mode}-${env.REELTIME_BUS_RECORD_FORMAT}` : mode}`;
    const workers = env.REELTIME_INGEST_WORKERS ?? "0";
    // One directory per server, one file per thread: Node names them CPU.<date>.<time>.<pid>.<thread>.<n>
    // (thread 0 the event loop, 1 and up the worker threads). A --cpu-prof-name would give every
    // thread the same file, and the last to exit would overwrite the others.
    const dir = join(
      PROFILE_DIR,
      `${tag}-w${workers}${env.REELTIME_KAFKA_DRIVER ? `-${env.REELTIME_KAFKA_DRIVER}` : ""}-${Date.now()}`,
    );
    mkdirSync(dir, { recursive: true });
    execArgv.push("--cpu-prof", "--cpu-prof-dir", dir);
  }
  const script = root ? join(root, "bench", "src", "servers", "ingest-server.ts") : SERVER_SCRIPT;
  const child = spawn(process.execPath, [...execArgv, script, mode, app], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, LOG_LEVEL: "warn", REELTIME_BENCH_RUN_ID: RUN_ID, ...env },
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    // Loggers share stdout: the server's own line is the one marked "bench".
    rl.on("line", (l) => {
      if (l.startsWith('{"bench":"listening"')) resolve(l);
    });
    child.once("exit", (code) => reject(new Error(`the ${mode} server exited (${code}) before listening`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    async cpuMicros() {
      return ((await (await fetch(`http://127.0.0.1:${port}/bench/cpu`)).json()) as { micros: number }).micros;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface LoadResult {
  seconds: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Request latency in ms. */
  p50: number;
  p99: number;
  mean: number;
}

export interface LoadSpec {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds, or `amount` requests if given. */
  duration?: number;
  amount?: number;
}

/** Runs autocannon against one POST route and returns its figures. */
export async function postLoad(spec: LoadSpec): Promise<LoadResult> {
  const started = performance.now();
  const r = await autocannon({
    url: spec.url,
    method: "POST",
    connections: spec.connections,
    pipelining: 1,
    body: spec.body,
    headers: spec.headers,
    timeout: 30,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
  });
  const seconds = (performance.now() - started) / 1000;
  const ok = r["2xx"];
  return {
    seconds,
    requests: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.average,
  };
}
