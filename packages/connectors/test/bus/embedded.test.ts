import { appendFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsumedMessage } from "@reeltime/ports";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { busConformance } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createEmbeddedBus, type EmbeddedBusEnv } from "../../src/bus/embedded/index.ts";
import { createBus } from "../../src/factory.ts";

const root = await mkdtemp(join(tmpdir(), "reeltime-bus-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const env = (dir: string, extra: Partial<EmbeddedBusEnv> = {}): EmbeddedBusEnv => ({
  REELTIME_DATA_DIR: dir,
  REELTIME_PARTITIONS: 4,
  REELTIME_EMBEDDED_SEGMENT_BYTES: 64 * 1024 * 1024,
  ...extra,
});
const notADir = join(root, "a-file");
await writeFile(notADir, "");

busConformance("embedded", async () => createEmbeddedBus(env(join(root, "conformance"))), {
  makeUnavailableBus: async () => createEmbeddedBus(env(join(notADir, "data"))),
  deliveryTimeoutMs: 10_000,
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (m: ConsumedMessage) => new TextDecoder().decode(m.value);

async function drain(dir: string, group: string, topic: string, count: number): Promise<ConsumedMessage[]> {
  const bus = createEmbeddedBus(env(dir));
  const got: ConsumedMessage[] = [];
  const sub = await bus.consume({ group, topics: [topic], handler: async (b) => void got.push(...b.messages) });
  const deadline = Date.now() + 5000;
  while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await sub.stop();
  await bus.shutdown();
  return got;
}

describe("embedded bus: the log on disk", () => {
  it("drops a torn record left at the tail by a crash mid-append and keeps the rest", async () => {
    const dir = join(root, "torn");
    const bus = createEmbeddedBus(env(dir));
    await bus.ensureTopics([{ name: "t", partitions: 1 }]);
    await bus.publish(
      "t",
      ["a", "b", "c"].map((v) => ({ key: "k", value: bytes(v) })),
    );
    await bus.shutdown();
    const segDir = join(dir, "bus", "topics", "t", "0");
    const [segment] = await readdir(segDir);
    await appendFile(join(segDir, segment as string), Buffer.from([200, 0, 0, 0, 1, 2, 3]));

    const again = createEmbeddedBus(env(dir));
    await again.publish("t", [{ key: "k", value: bytes("d") }]);
    await again.shutdown();
    expect((await drain(dir, "g", "t", 4)).map(text)).toEqual(["a", "b", "c", "d"]);
  });

  it("rolls segments at REELTIME_EMBEDDED_SEGMENT_BYTES and reads across them in order", async () => {
    const dir = join(root, "roll");
    const bus = createEmbeddedBus(env(dir, { REELTIME_EMBEDDED_SEGMENT_BYTES: 4096 }));
    await bus.ensureTopics([{ name: "t", partitions: 1 }]);
    for (let i = 0; i < 60; i++) await bus.publish("t", [{ key: "k", value: bytes(`${i}:${"x".repeat(200)}`) }]);
    await bus.shutdown();
    expect((await readdir(join(dir, "bus", "topics", "t", "0"))).length).toBeGreaterThan(2);
    const got = await drain(dir, "g", "t", 60);
    expect(got.map((m) => Number(text(m).split(":")[0]))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(got.map((m) => Number(m.offset))).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it("refuses a data directory another live process holds, naming what to do", async () => {
    const dir = join(root, "locked");
    const first = createEmbeddedBus(env(dir));
    await first.start();
    await first.shutdown();
    await writeFile(join(dir, "bus", "LOCK"), String(process.ppid));
    const bus = createEmbeddedBus(env(dir));
    await expect(bus.start()).rejects.toMatchObject({ code: "REELTIME_ERR_BUS_LOCKED" });
    await writeFile(join(dir, "bus", "LOCK"), "999999999");
    await expect(bus.start()).resolves.toBeUndefined();
    await bus.shutdown();
  });

  it("rejects publish after shutdown instead of dropping the messages", async () => {
    const bus = createEmbeddedBus(env(join(root, "stopped")));
    await bus.shutdown();
    await expect(bus.publish("t", [{ key: "k", value: bytes("x") }])).rejects.toMatchObject({
      code: "REELTIME_ERR_BUS_STOPPED",
    });
  });
});

describe("createBus", () => {
  it("loads the embedded bus for REELTIME_BUS=embedded", async () => {
    const bus = await createBus(
      loadEnv(ConnectionEnv, { REELTIME_BUS: "embedded", REELTIME_DATA_DIR: join(root, "factory") }),
    );
    expect(bus.driver).toBe("embedded");
    expect((await bus.health()).ok).toBe(true);
    await bus.shutdown();
  });
});
