// The checkpoint log's numbering (runtime/state-log.ts): one object per number whatever its kind,
// and a write sent again after a lost answer recognises its own object.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive } from "@reeltime/connectors";
import { type LogObject, StateLog } from "@reeltime/processing";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
let archive: Archive;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-statelog-"));
  archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await archive.start();
});
afterAll(async () => {
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const obj = (n: number, kind: "base" | "delta", key: string): LogObject => ({
  version: 2,
  kind,
  n,
  put: [{ key, state: { v: key }, final: false, lastSeenAt: 0 }],
  del: [],
  touched: [],
});

describe("checkpoint log", () => {
  it("two owners writing the same number collide even when one writes a base and the other a delta", async () => {
    const a = new StateLog(archive, "_state/g/t/0", "_state/g/t/0.json");
    const b = new StateLog(archive, "_state/g/t/0", "_state/g/t/0.json");
    expect((await a.write(obj(0, "base", "k0"))).stored).toBe(true);
    expect((await b.write(obj(1, "delta", "from-b"))).stored).toBe(true);
    expect((await a.write(obj(1, "base", "from-a"))).stored).toBe(false);
    const restored = await new StateLog(archive, "_state/g/t/0", "_state/g/t/0.json").restore();
    expect(restored.n).toBe(1);
    expect([...restored.keys.keys()].sort()).toEqual(["from-b", "k0"]);
  });

  it("a write sent again (its first answer lost) finds its own object and counts as stored", async () => {
    const a = new StateLog(archive, "_state/g/t/1", "_state/g/t/1.json");
    expect((await a.write(obj(0, "base", "k"))).stored).toBe(true);
    expect((await a.write(obj(0, "base", "k"))).stored).toBe(true);
    const other = new StateLog(archive, "_state/g/t/1", "_state/g/t/1.json");
    expect((await other.write(obj(0, "base", "k"))).stored).toBe(false);
  });

  it("a retry with more folded in, after an attempt that landed unanswered, goes in the next number and loses nothing", async () => {
    const a = new StateLog(archive, "_state/g/t/3", "_state/g/t/3.json");
    expect((await a.write(obj(0, "base", "k0"))).stored).toBe(true);
    // Delta 1 holds k1 and is stored, but its answer is lost: the caller still thinks the log ends at 0 ...
    expect((await a.write(obj(1, "delta", "k1"))).n).toBe(1);
    // ... folds k2 as well, and writes 1 again with both.
    const both: LogObject = {
      ...obj(1, "delta", "k1"),
      put: [...obj(1, "delta", "k1").put, ...obj(1, "delta", "k2").put],
    };
    const again = await a.write(both);
    expect([again.stored, again.n]).toEqual([true, 2]);
    const r = await new StateLog(archive, "_state/g/t/3", "_state/g/t/3.json").restore();
    expect(r.n).toBe(2);
    expect([...r.keys.keys()].sort()).toEqual(["k0", "k1", "k2"]);
    // Another writer's object at a number is still a collision.
    const other = new StateLog(archive, "_state/g/t/3", "_state/g/t/3.json");
    expect((await other.write(obj(2, "delta", "x"))).stored).toBe(false);
  });

  it("restores from the last base onward, and still reads a log named by kind", async () => {
    const prefix = "_state/g/t/2/";
    const put = (name: string, o: LogObject) =>
      archive.put(`${prefix}${name}`, new TextEncoder().encode(JSON.stringify(o)));
    await put("000000000000.base.json", obj(0, "base", "old"));
    await put("000000000001.delta.json", obj(1, "delta", "d1"));
    const log = new StateLog(archive, prefix, "_state/g/t/2.json");
    let r = await log.restore();
    expect(r.n).toBe(1);
    expect([...r.keys.keys()].sort()).toEqual(["d1", "old"]);
    // A new base replaces everything before it; the deltas after it add to it.
    await log.write(obj(2, "base", "b2"));
    await log.write(obj(3, "delta", "d3"));
    r = await new StateLog(archive, prefix, "_state/g/t/2.json").restore();
    expect(r.n).toBe(3);
    expect([...r.keys.keys()].sort()).toEqual(["b2", "d3"]);
  });
});
