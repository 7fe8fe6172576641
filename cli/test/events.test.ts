import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EVENT_TYPES } from "@reeltime/events";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildProgram, main } from "../src/main.ts";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "reeltime.js");

/** Runs the CLI in-process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => {
    err += String(c);
    return true;
  });
  process.exitCode = undefined;
  try {
    const code = await main(["node", "reeltime", ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("reeltime events", () => {
  it("lists every type", async () => {
    const r = await cli("events", "list", "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { type: string }[]).map((x) => x.type)).toEqual(EVENT_TYPES);
  });

  it("prints a JSON Schema", async () => {
    const r = await cli("events", "schema", "playback.seek_end");
    expect(JSON.parse(r.out)).toMatchObject({
      $id: "playback.seek_end",
      required: expect.arrayContaining(["latency_ms"]),
    });
  });

  it("refuses an unknown type with exit 2 and a hint", async () => {
    const r = await cli("events", "schema", "playback.nope");
    expect(r.code).toBe(2);
    expect(r.err).toContain("reeltime events list");
  });

  it("every example passes validate (NDJSON)", async () => {
    const lines: string[] = [];
    for (const t of EVENT_TYPES) lines.push((await cli("events", "example", t)).out.trim());
    const file = join(dir, "examples.ndjson");
    await writeFile(file, `${lines.join("\n")}\n`);
    const r = await cli("events", "validate", file);
    expect(r.out).toContain(`${EVENT_TYPES.length} valid, 0 invalid`);
    expect(r.code).toBe(0);
  });

  it("validate prints each error with its line and pointer, and exits 1", async () => {
    const good = JSON.parse((await cli("events", "example", "click")).out);
    const file = join(dir, "mixed.ndjson");
    await writeFile(file, [JSON.stringify(good), "{not json", JSON.stringify({ ...good, seq: -1 })].join("\n"));
    const r = await cli("events", "validate", file);
    expect(r.code).toBe(1);
    expect(r.out).toContain("line 2: not valid JSON");
    expect(r.out).toMatch(/line 3 \(click\): \/seq: must be >= 0 \[range\]/);
    expect(r.out).toContain("1 valid, 2 invalid");
  });

  it("validate reads a JSON batch", async () => {
    const good = JSON.parse((await cli("events", "example", "job.created")).out);
    const file = join(dir, "batch.json");
    await writeFile(file, JSON.stringify({ events: [good, { ...good, job: {} }] }, null, 2));
    const r = await cli("events", "validate", file);
    expect(r.out).toContain("event 1 (job.created): /job/id: missing required field");
    expect(r.out).toContain("1 valid, 1 invalid");
  });

  it("a missing file is a clear usage error", async () => {
    const r = await cli("events", "validate", join(dir, "nope.ndjson"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read .*nope\.ndjson.*REELTIME_ERR_INPUT/);
  });

  it("the installed command pipes example into validate -", () => {
    const example = spawnSync(process.execPath, [bin, "events", "example", "playback.heartbeat"], { encoding: "utf8" });
    expect(example.status).toBe(0);
    const validate = spawnSync(process.execPath, [bin, "events", "validate", "-"], {
      input: example.stdout,
      encoding: "utf8",
    });
    expect(validate.stdout).toContain("1 valid, 0 invalid");
    expect(validate.status).toBe(0);
  });

  it("--help works on every subcommand", async () => {
    const program = buildProgram();
    const all: Command[] = [];
    const walk = (c: Command) => {
      all.push(c);
      for (const sub of c.commands) walk(sub);
    };
    walk(program);
    expect(all.length).toBeGreaterThan(15);
    for (const c of all) {
      const path: string[] = [];
      for (let cur: Command | null = c; cur?.parent; cur = cur.parent) path.unshift(cur.name());
      const r = await cli(...path, "--help");
      expect(r.code, path.join(" ")).toBe(0);
      expect(r.out, path.join(" ")).toContain(`Usage: reeltime${path.length ? ` ${path.join(" ")}` : ""}`);
    }
    const spawned = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(spawned.status).toBe(0);
    expect(spawned.stdout).toContain("Usage: reeltime");
  }, 30_000);
});
