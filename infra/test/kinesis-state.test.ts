import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setAsideUnreadableState } from "../src/local/services/kinesis.ts";

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "reeltime-kinesis-state-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("kinesis-local's saved state at start", () => {
  it("sets an empty file aside (what a machine stopped mid-write leaves), keeping its bytes", () => {
    const d = fresh();
    const file = join(d, "kinesis-data.json");
    writeFileSync(file, "");
    const aside = setAsideUnreadableState(file, new Date("2026-12-04T07:30:00.000Z"));
    expect(aside).toBe(`${file}.unreadable-2026-12-04T07-30-00-000Z`);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(d)).toEqual(["kinesis-data.json.unreadable-2026-12-04T07-30-00-000Z"]);
  });

  it("sets a file cut short aside", () => {
    const d = fresh();
    const file = join(d, "kinesis-data.json");
    writeFileSync(file, '{"streams":{"reeltime.playback":{"shards":[');
    const aside = setAsideUnreadableState(file);
    expect(aside).toBeDefined();
    expect(readFileSync(aside as string, "utf8")).toBe('{"streams":{"reeltime.playback":{"shards":[');
  });

  it("leaves a readable file and an absent one alone", () => {
    const d = fresh();
    const file = join(d, "kinesis-data.json");
    expect(setAsideUnreadableState(file)).toBeUndefined();
    writeFileSync(file, '{"streams":{}}');
    expect(setAsideUnreadableState(file)).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe('{"streams":{}}');
  });
});
