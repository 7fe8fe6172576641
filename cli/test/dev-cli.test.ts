// `reeltime dev` as a newcomer starts it: the PORT variable the README lists, a busy port, and
// the banner's links. Runs the real CLI on the embedded default without a sample video, so it
// needs nothing outside node_modules.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "reeltime.js");

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

let dir: string;
const started: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-cli-"));
});
afterAll(async () => {
  for (const c of started) if (c.exitCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("reeltime dev from the command line", { timeout: 90_000 }, () => {
  it("on a busy port prints one line naming the port and the option, and exits 1 with nothing left running", async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as { port: number }).port;
    try {
      const p = run(["dev", "--no-transcode", "--no-live", "--data-dir", join(dir, "busy")], { PORT: String(port) });
      started.push(p.child);
      const timer = setTimeout(() => p.child.kill("SIGKILL"), 30_000);
      const code = await p.exited;
      clearTimeout(timer);
      expect(code, "the process exits by itself, with 1").toBe(1);
      const lines = p.err().trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(lines[0]).toContain("--port or the PORT variable");
      expect(p.err()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  it("a bad PORT is a usage error (exit 2), not a crash", async () => {
    const p = run(["dev", "--no-transcode", "--no-live", "--data-dir", join(dir, "bad")], { PORT: "eighty" });
    started.push(p.child);
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain("--port (or PORT) takes a port from 0 to 65535, got eighty");
  });

  it("honours PORT, and the live view's link carries the read token", async () => {
    const port = await freePort();
    const p = run(["dev", "--no-transcode", "--no-live", "--data-dir", join(dir, "ok")], { PORT: String(port) });
    started.push(p.child);
    const until = Date.now() + 60_000;
    while (!p.out().includes("Ctrl-C stops it") && p.child.exitCode === null && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect(p.out(), p.err()).toContain("Ctrl-C stops it");
    const live = /live view\s+(\S+)/.exec(p.out())?.[1];
    const token = /read token\s+(\S+)/.exec(p.out())?.[1];
    expect(live).toBe(`http://127.0.0.1:${port}/live#token=${token}`);
    const res = await fetch(`http://127.0.0.1:${port}/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    // The demo page's metrics formatter, as Node's type stripping served it, runs as plain JS.
    const html = await (await fetch(`http://127.0.0.1:${port}/demo`)).text();
    const source = /const formatViewMetrics = (function formatViewMetrics[\s\S]*?\n\});?\n/.exec(html)?.[1];
    expect(source).toBeDefined();
    const format = new Function(`return (${source})`)() as (m: object) => [string, string][];
    expect(Object.fromEntries(format({ playingMs: 14971.100000000093 })).Playing).toBe("15.0 s");
    // So is its upload client (types stripped by Node, not by the test's transform).
    const upload = /const uploadVideo = (async function uploadVideo[\s\S]*?\n\});?\n/.exec(html)?.[1];
    expect(upload).toBeDefined();
    expect(typeof new Function(`return (${upload})`)()).toBe("function");
    // One /metrics for the whole dev process: ingest and every processor's lag, failures,
    // dead letters and stalled partitions.
    let metrics = "";
    for (let i = 0; i < 40 && !/^reeltime_consumer_lag_messages\{/m.test(metrics); i++) {
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(metrics).toMatch(/^reeltime_consumer_lag_messages\{.*group="reeltime-indexer"/m);
    expect(metrics).toMatch(/^reeltime_processor_partition_stalled\{.*processor="archiver".*\} 0$/m);
    for (const name of [
      "reeltime_processor_batch_failures_total",
      "reeltime_processor_tick_failures_total",
      "reeltime_processor_poison_messages_total",
      "reeltime_processor_dead_letters_total",
      "reeltime_ingest_requests_total",
    ])
      expect(metrics).toContain(`# TYPE ${name} counter`);
    p.child.kill("SIGTERM");
    expect(await p.exited).not.toBeNull();
  });
});
