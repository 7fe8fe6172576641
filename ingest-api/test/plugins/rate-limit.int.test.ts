// Two real ingest processes (`reeltime ingest`, each on its own embedded bus) share one write
// key's limit through a real redis-server (Debian's, started here on its own port so it can be
// killed); with the store killed they keep serving, each with its own local limit. The store
// takes only an authenticated user limited to reeltime's keys (its default user is off), as the
// stack's Valkey does, and the password never reaches the logs.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exampleEvent } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const bin = join(root, "node_modules", ".bin", "reeltime");
const KEY_A = "wk_shared_a_0123456789abcdef";
const KEY_B = "wk_shared_b_0123456789abcdef";
const LIMIT = 120;
const STORE_USER = "reeltime-ingest";
const STORE_PASSWORD = "store-pw-5f1c0e9a7b3d";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function launch(command: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  return { child, out: () => out };
}

async function stop(p: Proc | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill(signal);
  await exited;
}

let dir: string;
let redisPort: number;
let redis: Proc | undefined;
const ingest: { proc: Proc; url: string }[] = [];

function startRedis(): Proc {
  return launch("/usr/bin/redis-server", [
    "--bind",
    "127.0.0.1",
    "--port",
    String(redisPort),
    "--save",
    "",
    "--appendonly",
    "no",
    // No anonymous access: ingest must authenticate, and may touch reeltime's keys only.
    "--user",
    "default",
    "off",
    "--user",
    STORE_USER,
    "on",
    `>${STORE_PASSWORD}`,
    "~reeltime:*",
    "+@all",
  ]);
}

async function redisUp(): Promise<void> {
  await until("redis-server listening", async () => redis!.out().includes("Ready to accept connections"), 15_000);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-shared-limits-"));
  redisPort = await freePort();
  redis = startRedis();
  await redisUp();
  for (const name of ["a", "b"]) {
    const port = await freePort();
    const proc = launch(process.execPath, [bin, "ingest"], {
      PORT: String(port),
      LOG_LEVEL: "info",
      REELTIME_DATA_DIR: join(dir, name),
      REELTIME_WRITE_KEYS: `shop:${KEY_A},tv:${KEY_B}`,
      REELTIME_READ_TOKENS: "shop:rt_shared_0123456789abcdef",
      REELTIME_RATE_LIMIT_PER_KEY: String(LIMIT),
      REELTIME_RATE_LIMIT_PER_IP: "1000000",
      REELTIME_REDIS_URL: `redis://${STORE_USER}:${STORE_PASSWORD}@127.0.0.1:${redisPort}`,
    });
    const url = `http://127.0.0.1:${port}`;
    ingest.push({ proc, url });
  }
  for (const { proc, url } of ingest)
    await until(`ingest at ${url} (${proc.out().slice(-300)})`, async () => (await fetch(`${url}/healthz`)).ok, 60_000);
}, 90_000);

afterAll(async () => {
  for (const { proc } of ingest) await stop(proc);
  await stop(redis, "SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

async function post(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-reeltime-key": key },
    body: JSON.stringify({ events: [exampleEvent("click")] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** `count` requests per process, both processes at once; status counts per process. */
async function burst(key: string, count: number): Promise<Map<number, number>[]> {
  return Promise.all(
    ingest.map(async ({ url }) => {
      const statuses = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        const s = await post(url, key);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
      return statuses;
    }),
  );
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("rate limits shared through Redis by two ingest processes", { timeout: 120_000 }, () => {
  it("their summed accepted requests for one key respect the key's limit", async () => {
    const [a, b] = await burst(KEY_A, LIMIT);
    const accepted = (a!.get(200) ?? 0) + (b!.get(200) ?? 0);
    const limited = (a!.get(429) ?? 0) + (b!.get(429) ?? 0);
    // Per-process counters would accept LIMIT in each process (2 × LIMIT in all).
    expect(Math.abs(accepted - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.1);
    expect(accepted + limited).toBe(2 * LIMIT);
    expect(a!.get(200) ?? 0).toBeGreaterThan(0);
    expect(b!.get(200) ?? 0).toBeGreaterThan(0);
    for (const { url } of ingest) expect(await metric(url, "reeltime_ingest_rate_limit_store_up")).toBe(1);
  });

  it("with the store killed mid-test both keep serving with local limits, warning once", async () => {
    await stop(redis, "SIGKILL");
    const [a, b] = await burst(KEY_B, LIMIT + 30);
    for (const statuses of [a!, b!]) {
      // No 5xx: each process answers from its own counters, LIMIT accepted, the rest limited.
      expect([...statuses.keys()].sort()).toEqual([200, 429]);
      expect(statuses.get(200)).toBe(LIMIT);
      expect(statuses.get(429)).toBe(30);
    }
    for (const { proc, url } of ingest) {
      const warnings = proc.out().match(/rate-limit store unreachable/g) ?? [];
      expect(warnings).toHaveLength(1);
      expect(await metric(url, "reeltime_ingest_rate_limit_store_up")).toBe(0);
      expect(await metric(url, "reeltime_ingest_rate_limit_fallbacks_total")).toBe(1);
    }
  });

  it("shares counters again once the store is back", async () => {
    redis = startRedis();
    await redisUp();
    const key = KEY_A; // the restarted store holds no counter for it
    for (const { url } of ingest)
      await until(
        "ingest back on the shared store",
        async () => (await post(url, key)) === 200 && (await metric(url, "reeltime_ingest_rate_limit_store_up")) === 1,
        15_000,
      );
    for (const { proc } of ingest) expect(proc.out()).toContain("rate-limit store answers again");
    for (const { proc } of ingest) expect(proc.out()).not.toContain(STORE_PASSWORD);
  });
});
