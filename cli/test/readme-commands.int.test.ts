// Every command the README shows in its shell blocks, run as written (placeholders filled in)
// against the local services. A command added to the README without a way to run it here
// fails the first test, so the README cannot drift from what the CLI accepts.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localServicesEnv } from "@reeltime/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** The shell lines of the README's ```sh blocks, without comments. */
function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g))
    for (const raw of block[1]!.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line && !line.startsWith("#")) out.push(line);
    }
  return out;
}

/**
 * How each README line runs here. `npm install` and `npm test` are what CI itself runs on a
 * clean clone (a test cannot run the suite it is part of); every other line runs below.
 */
const RUNS_ELSEWHERE: Record<string, string> = {
  "npm install": "CI runs it on a clean clone before anything else",
  "npm install && npm start": "npm install: CI; npm start: run below",
  "npm install && npm test": "CI runs exactly this on a clean clone",
};
const RUN_HERE = [
  "npm start",
  "npx reeltime dev --simulate 500",
  "npx reeltime events list",
  "npx reeltime events schema playback.seek_end",
  "npx reeltime events example click | npx reeltime events validate -",
  "npx reeltime events generate [--check]",
  "REELTIME_ENV=production REELTIME_BUS=kafka REELTIME_SEARCH=elasticsearch … npx reeltime ingest",
  "REELTIME_BUS=kafka REELTIME_SEARCH=elasticsearch REELTIME_ARCHIVE=s3 … npx reeltime process [--only indexer,sessionizer]",
  "REELTIME_BUS=kafka REELTIME_ARCHIVE=s3 … npx reeltime pipeline watch",
  "npx reeltime transcode FILE",
  "npx reeltime query --named qoe --param from_dt=2026-11-22 --param to_dt=2026-11-22 --engine athena",
];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let work: string;
const started: ChildProcess[] = [];
const REAL = localServicesEnv();
const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  PATH: `${BIN}:${process.env.PATH}`,
  LOG_LEVEL: "warn",
  AWS_ACCESS_KEY_ID: "reeltime",
  AWS_SECRET_ACCESS_KEY: "reeltime-local-secret",
  AWS_REGION: "us-east-1",
  ...extra,
});

/** Runs a shell line to its end. */
function sh(line: string, extra: Record<string, string> = {}) {
  const r = spawnSync("sh", ["-c", line], { cwd: ROOT, env: env(extra), encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a long-running shell line in its own process group; `ready` polls until it serves. */
async function serve(line: string, extra: Record<string, string>, ready: (out: string) => Promise<boolean> | boolean) {
  const child = spawn("sh", ["-c", `exec ${line}`], { cwd: ROOT, env: env(extra), detached: true });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const until = Date.now() + 240_000;
  while (child.exitCode === null && Date.now() < until) {
    if (await ready(out)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(child.exitCode, out).toBeNull(); // still running: it did not fail on start
  expect(await ready(out), out).toBe(true);
  // Stop it as an operator would (SIGTERM to what this test started) and expect a clean exit.
  // npm and npx die of the signal itself; the reeltime process under them exits 0.
  const exited = new Promise<string>((r) => child.once("exit", (code, signal) => r(signal ?? `exit ${code}`)));
  process.kill(-child.pid!, "SIGTERM");
  const how = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("hung"), 30_000))]);
  expect(["exit 0", "SIGTERM"], out).toContain(how);
  return out;
}

const healthy = async (url: string) => {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "reeltime-readme-"));
});
afterAll(() => {
  for (const c of started)
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  rmSync(work, { recursive: true, force: true });
});

describe("every command the README shows", { timeout: 300_000 }, () => {
  it("is one this test runs (or CI runs itself)", () => {
    const lines = readmeCommands().filter((l) => /\b(npm|npx|reeltime)\b/.test(l));
    const unknown = lines.filter((l) => !RUN_HERE.includes(l) && !(l in RUNS_ELSEWHERE));
    expect(unknown, "README commands this test does not run: add them to RUN_HERE with a case below").toEqual([]);
    for (const l of RUN_HERE) expect(lines, `${l} is no longer in the README: drop it here`).toContain(l);
  });

  it("npm start (with PORT) serves the demo page and the live view", async () => {
    const port = await freePort();
    await serve("npm start", { PORT: String(port) }, async (out) =>
      out.includes("Ctrl-C stops it") ? healthy(`http://127.0.0.1:${port}/demo`) : false,
    );
  });

  it("npx reeltime dev --simulate 500 drives 500 viewers with nothing rejected", async () => {
    const port = await freePort();
    const out = await serve("npx reeltime dev --simulate 500", { PORT: String(port) }, (o) =>
      o.includes("simulation done"),
    );
    expect(out).toMatch(/simulation done in [\d.]+ s: \d+ events accepted, 0 rejected/);
  });

  it("the events commands", () => {
    const list = sh("npx reeltime events list");
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("playback.seek_end");
    const schema = sh("npx reeltime events schema playback.seek_end");
    expect(schema.status, schema.stderr).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({ $id: "playback.seek_end" });
    const piped = sh("npx reeltime events example click | npx reeltime events validate -");
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toContain("1 valid, 0 invalid");
    for (const variant of ["npx reeltime events generate --check", "npx reeltime events generate"]) {
      const r = sh(variant);
      expect(r.status, `${variant}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it("npx reeltime ingest in production on Kafka and Elasticsearch", async () => {
    const port = await freePort();
    await serve(
      "npx reeltime ingest",
      {
        ...REAL,
        REELTIME_ENV: "production",
        PORT: String(port),
        REELTIME_WRITE_KEYS: "readme:wk_readme_0123456789abcdef",
        REELTIME_READ_TOKENS: "readme:rt_readme_0123456789abcdef",
      },
      () => healthy(`http://127.0.0.1:${port}/readyz`),
    );
  });

  it("npx reeltime process --only indexer,sessionizer on Kafka, Elasticsearch and S3", async () => {
    const port = await freePort();
    await serve(
      `npx reeltime process --only indexer,sessionizer --metrics-port ${port}`,
      { ...REAL, REELTIME_DATA_DIR: join(work, "process") },
      () => healthy(`http://127.0.0.1:${port}/healthz`),
    );
  });

  it("npx reeltime pipeline watch on Kafka and S3", async () => {
    await serve("npx reeltime pipeline watch", { ...REAL, REELTIME_UPLOADS_PREFIX: `readme-${Date.now()}/` }, (o) =>
      o.includes("watching"),
    );
  });

  it("npx reeltime transcode FILE", () => {
    const clip = join(work, "readme-clip.mp4");
    const ff = sh(
      `ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p ${clip}`,
    );
    expect(ff.status, ff.stderr).toBe(0);
    const r = sh(`npx reeltime transcode ${clip}`, REAL);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("readme-clip");
  });

  it("npx reeltime query --named qoe with its README parameters", () => {
    // The README's line targets Athena. Without AWS here, the same named query and parameters
    // run on DuckDB over the local archive: this proves the CLI line and the parameter names.
    // Athena's SQL dialect is proved on Trino, its engine family (docs/analytics.md).
    const line = RUN_HERE.find((l) => l.startsWith("npx reeltime query"))!.replace(
      "--engine athena",
      "--engine duckdb",
    );
    const r = sh(line, { REELTIME_DATA_DIR: join(work, "query"), REELTIME_ARCHIVE: "fs" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
