import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createBus } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { archiveConformance } from "../src/conformance/archive.ts";
import { busConformance } from "../src/conformance/bus.ts";
import { MemoryArchive, type MemoryObjects, RecordingArchive, RecordingBus } from "../src/doubles/memory.ts";
import { SwitchableBus } from "../src/doubles/switchable-bus.ts";

// The test doubles other workspaces' tests use in place of an adapter run the same conformance
// suites as the adapters (packages/connectors and the adapter packages), so a double cannot promise less than the
// port. They are not drivers: these cells are not part of `npm run test:connectors`'s grid.

/**
 * The in-memory counterpart of a writer killed mid-write: `put` reads the body's bytes and the
 * source dies part-way through (the getter of byte `cut` throws). Throws unless the write
 * really was interrupted that way.
 */
async function interruptedPut(archive: Archive, key: string, body: Uint8Array): Promise<void> {
  const cut = Math.min(64 * 1024, body.byteLength >> 1);
  let died = false;
  const dying = new Proxy(
    {},
    {
      get(_, p) {
        if (p === "length") return body.byteLength;
        if (typeof p !== "string" || !/^\d+$/.test(p)) return undefined;
        if (Number(p) >= cut) {
          died = true;
          throw new Error("the writer died mid-write");
        }
        return body[Number(p)];
      },
    },
  ) as Uint8Array;
  const result = await archive.put(key, dying).then(
    () => "resolved",
    (err: unknown) => err,
  );
  await archive.shutdown();
  if (!died || result === "resolved") throw new Error(`the write was not interrupted mid-way (${String(result)})`);
}

// No `unreachable`: an archive in memory has no backing service that can be down (n/a).
const memory = new Map() as MemoryObjects;
archiveConformance({
  adapter: "memory",
  prefix: "conformance/",
  open: async () => new MemoryArchive(memory),
  interruptedPut: (key, body) => interruptedPut(new MemoryArchive(memory), key, body),
});

const recorded = new Map() as MemoryObjects;
archiveConformance({
  adapter: "recording-memory",
  prefix: "conformance/",
  open: async () => new RecordingArchive(new MemoryArchive(recorded)),
  interruptedPut: (key, body) => interruptedPut(new RecordingArchive(new MemoryArchive(recorded)), key, body),
});

const root = await mkdtemp(join(tmpdir(), "reeltime-doubles-"));
afterAll(() => rm(root, { recursive: true, force: true }));
const notADir = join(root, "a-file");
await writeFile(notADir, "");
const embedded = (dir: string) =>
  createBus(loadEnv(ConnectionEnv, { REELTIME_BUS: "embedded", REELTIME_DATA_DIR: dir, REELTIME_PARTITIONS: "4" }));

busConformance("recording-embedded", async () => new RecordingBus(await embedded(join(root, "recording"))), {
  makeUnavailableBus: async () => new RecordingBus(await embedded(join(notADir, "data"))),
  deliveryTimeoutMs: 10_000,
});

busConformance("switchable-embedded", async () => new SwitchableBus(await embedded(join(root, "switchable"))), {
  // The double's own outage: switched down over a bus that works.
  makeUnavailableBus: async () => {
    const bus = new SwitchableBus(await embedded(join(root, "switched-down")));
    bus.down = true;
    return bus;
  },
  deliveryTimeoutMs: 10_000,
});

describe("RecordingBus without an inner bus", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("records what is published, in order, and keeps the size limit of every bus", async () => {
    const bus = new RecordingBus();
    await bus.publish("t", [
      { key: "a", value: bytes("1") },
      { key: "b", value: bytes("2") },
    ]);
    expect(bus.published.map((p) => [p.topic, p.message.key])).toEqual([
      ["t", "a"],
      ["t", "b"],
    ]);
    const huge = { key: "c", value: new Uint8Array(bus.maxMessageBytes + 1) };
    await expect(bus.publish("t", [{ key: "c", value: bytes("3") }, huge])).rejects.toMatchObject({
      code: "REELTIME_ERR_BUS_MESSAGE_TOO_LARGE",
      retryable: false,
      status: 413,
    });
    expect(bus.published).toHaveLength(2);
  });

  it("cannot consume (there is nothing to read from) and says so", async () => {
    const bus = new RecordingBus();
    await expect(bus.consume({ group: "g", topics: ["t"], handler: async () => {} })).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
    });
  });
});
