// The runtime reads both record formats (one event per record, and batch-v1: one record per key
// per request) during a rolling upgrade: processors see one message per event either way, dead
// letters stay per event, and the bus is committed through whole records only.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BATCH_V1,
  type Bus,
  type ConsumedBatch,
  type ConsumedMessage,
  createBus,
  type DeadLetter,
  encodeEventRecords,
  MAX_MESSAGE_BYTES,
  RECORD_FORMAT_HEADER,
  type RecordFormat,
} from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishDeadLetters } from "../src/index.ts";
import { deadLetter, decode, lastPositions } from "../src/messages.ts";
import { compareOffsets } from "../src/order.ts";
import { type Committer, type Processor, processorMetrics, runProcessor } from "../src/run-processor.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const log = createLogger("batch-records-test", { level: "silent" });

let dir: string;
let bus: Bus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-batch-records-"));
  bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics([
    ...["old", "new", "mixed", "bad", "unknown"].map((t) => ({ name: `records.${t}`, partitions: 2 })),
    { name: "records.manual", partitions: 1 },
    { name: TOPICS.deadLetter, partitions: 1 },
  ]);
});
afterAll(async () => {
  await bus.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** 12 views of 1 to 7 events each, in the order a player sends them. */
const events = Array.from({ length: 12 }, (_, v) =>
  Array.from({ length: 1 + (v % 7) }, (_, seq) => ({ event_id: `v${v}-e${seq}`, view_id: `view-${v}`, seq })),
).flat();

/** Publishes `events` in requests of 10, each request in `formatOf(request)`, the way ingest does. */
async function publish(topic: string, formatOf: (request: number) => RecordFormat) {
  for (let i = 0; i < events.length; i += 10) {
    const byKey = new Map<string, string[]>();
    for (const e of events.slice(i, i + 10)) byKey.set(e.view_id, [...(byKey.get(e.view_id) ?? []), JSON.stringify(e)]);
    await bus.publish(topic, encodeEventRecords(byKey, formatOf(i / 10), { schema_version: "1" }, MAX_MESSAGE_BYTES));
  }
}

/** A processor that keeps what it reads and dead-letters what it cannot, like every real one. */
function recorder(name: string, topic: string, opts: { clone?: boolean } = {}) {
  const seen: ConsumedMessage[] = [];
  const p: Processor = {
    name,
    group: `group-${name}`,
    topics: [topic],
    commit: "after-handler",
    async handle(batch: ConsumedBatch) {
      const letters: DeadLetter[] = [];
      const keep: ConsumedMessage[] = [];
      for (const m of batch.messages) {
        const e = decode(m, { maxDepth: Number.POSITIVE_INFINITY });
        if (!e) letters.push(deadLetter(name, "not_json", "the message is not a JSON event", m, undefined));
        else {
          // Like a store that clones what it keeps: a very deep value overflows the clone, every time.
          if (opts.clone) structuredClone(e);
          keep.push(m);
        }
      }
      await publishDeadLetters(bus, letters);
      seen.push(...keep);
    },
  };
  return { p, seen };
}

async function run(p: Processor) {
  return runProcessor(p, { bus, log, metrics: processorMetrics(createRegistry(p.name)), lagIntervalMs: 50 });
}

const idsByView = (seen: ConsumedMessage[]) => {
  const out = new Map<string, string[]>();
  for (const m of seen) {
    const e = JSON.parse(dec.decode(m.value)) as { event_id: string; view_id: string };
    out.set(e.view_id, [...(out.get(e.view_id) ?? []), e.event_id]);
  }
  return out;
};

async function lettersOf(stage: string, expected: number): Promise<DeadLetter[]> {
  const got: DeadLetter[] = [];
  const sub = await bus.consume({
    group: `letters-${stage}`,
    topics: [TOPICS.deadLetter],
    handler: async (b) => {
      for (const m of b.messages) {
        const l = JSON.parse(dec.decode(m.value)) as DeadLetter;
        if (l.stage === stage) got.push(l);
      }
    },
  });
  try {
    await waitFor(`${expected} dead letters of ${stage}`, () => got.length >= expected);
  } finally {
    await sub.stop();
  }
  return got;
}

describe("a consumer during a rolling upgrade", () => {
  it("fed one-event records, batch records or a mix, sees the same events in the same order per view", async () => {
    await publish("records.old", () => "event");
    await publish("records.new", () => "batch-v1");
    await publish("records.mixed", (r) => (r % 2 === 0 ? "batch-v1" : "event"));
    const results = new Map<string, ConsumedMessage[]>();
    for (const t of ["old", "new", "mixed"]) {
      const { p, seen } = recorder(`reader-${t}`, `records.${t}`);
      const running = await run(p);
      try {
        await waitFor(`${t}: every event`, () => seen.length >= events.length);
        await waitFor(`${t}: everything committed`, async () => (await running.lag()).every((l) => l.lag === 0));
      } finally {
        await running.stop();
      }
      results.set(t, seen);
    }
    const reference = idsByView(results.get("old")!);
    expect([...reference.values()].flat().sort()).toEqual(events.map((e) => e.event_id).sort());
    for (const t of ["new", "mixed"]) expect(idsByView(results.get(t)!), t).toEqual(reference);
    // Events of one record carry numbered offsets, in order within their partition.
    const batched = results.get("new")!.filter((m) => m.offset.includes("#"));
    expect(batched.length).toBe(events.length);
    for (const part of ["0", "1"]) {
      const offsets = batched.filter((m) => m.partition === part).map((m) => m.offset);
      expect(offsets).toEqual([...offsets].sort(compareOffsets));
    }
    expect(results.get("new")!.every((m) => m.headers[RECORD_FORMAT_HEADER] === undefined)).toBe(true);
  });

  it("one bad event inside a batch record goes to dead letters alone, with its reason; the others are processed", async () => {
    const deep = `{"event_id":"deep","view_id":"view-x","x":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const value = enc.encode(
      `[${JSON.stringify({ event_id: "a", view_id: "view-x" })},\n42,\n${deep},\n${JSON.stringify({ event_id: "b", view_id: "view-x" })}]`,
    );
    await bus.publish("records.bad", [{ key: "view-x", value, headers: { [RECORD_FORMAT_HEADER]: BATCH_V1 } }]);
    const { p, seen } = recorder("bad-reader", "records.bad", { clone: true });
    const running = await run(p);
    try {
      await waitFor("the partition moved past the bad events", async () =>
        (await running.lag()).every((l) => l.lag === 0),
      );
    } finally {
      await running.stop();
    }
    expect(seen.map((m) => (JSON.parse(dec.decode(m.value)) as { event_id: string }).event_id)).toEqual(["a", "b"]);
    const letters = await lettersOf("bad-reader", 2);
    expect(letters).toHaveLength(2);
    const notJson = letters.find((l) => l.reason === "not_json")!;
    expect(notJson).toMatchObject({ topic: "records.bad", payload: "42" });
    const poison = letters.find((l) => l.reason === "unprocessable")!;
    expect(poison.event_id).toBe("deep");
    expect(poison.message).toContain("Maximum call stack size exceeded");
    expect(JSON.stringify(poison.payload)).not.toContain('"a"');
  });

  it("a record in a format this version does not know goes to dead letters whole, with the reason; the partition moves on", async () => {
    const later = JSON.stringify({ event_id: "later", view_id: "view-y" });
    await bus.publish("records.unknown", [
      { key: "view-y", value: enc.encode('{"events":[]}'), headers: { [RECORD_FORMAT_HEADER]: "batch-v9" } },
      { key: "view-y", value: enc.encode(later) },
    ]);
    const { p, seen } = recorder("unknown-reader", "records.unknown");
    const running = await run(p);
    try {
      await waitFor("the later event", () => seen.length >= 1);
    } finally {
      await running.stop();
    }
    expect(seen.map((m) => dec.decode(m.value))).toEqual([later]);
    const [letter] = await lettersOf("unknown-reader", 1);
    expect(letter).toMatchObject({ reason: "unknown_format", topic: "records.unknown", payload: { events: [] } });
    expect(letter!.message).toContain('"batch-v9"');
  });

  it("a processor that commits part of a record: the bus keeps the record uncommitted, and it comes again whole", async () => {
    const record = (key: string, n: number) =>
      encodeEventRecords(
        new Map([[key, Array.from({ length: n }, (_, i) => JSON.stringify({ event_id: `${key}-${i}` }))]]),
        "batch-v1",
        {},
        MAX_MESSAGE_BYTES,
      );
    // Offsets 0 (three events) and 1 (two events) of the one partition.
    await bus.publish("records.manual", [...record("a", 3), ...record("b", 2)]);
    const deliveries: string[] = [];
    const partial = (commitOf: (messages: ConsumedMessage[]) => ConsumedMessage[]): Processor => ({
      name: "partial",
      group: "partial-committer",
      topics: ["records.manual"],
      commit: "manual",
      async handle(batch: ConsumedBatch, commit: Committer) {
        deliveries.push(...batch.messages.map((m) => m.offset));
        await commit(lastPositions(commitOf(batch.messages)));
      },
    });
    // Processed through the first event of the second record only.
    const first = await run(partial((ms) => ms.filter((m) => m.offset !== "1#1/2")));
    try {
      await waitFor("both records", () => deliveries.length === 5);
      await waitFor("the first record committed", async () => (await first.lag())[0]?.lag === 1);
    } finally {
      await first.stop();
    }
    expect(deliveries).toEqual(["0#0/3", "0#1/3", "0#2/3", "1#0/2", "1#1/2"]);
    // From the last commit: the second record again, whole.
    deliveries.length = 0;
    const again = await run(partial((ms) => ms));
    try {
      await waitFor("everything committed", async () => (await again.lag())[0]?.lag === 0);
    } finally {
      await again.stop();
    }
    expect(deliveries).toEqual(["1#0/2", "1#1/2"]);
  });
});

describe("compareOffsets", () => {
  it("orders events of a batch record by index, after the record before it, before the record's own offset", () => {
    const sorted = ["9", "10#0/3", "10#1/3", "10#2/3", "10", "11#0/1", "4950:0#0/2", "4950:0#1/2", "4950:1"];
    expect([...sorted].reverse().sort(compareOffsets)).toEqual(sorted);
    expect(compareOffsets("10#2/3", "10#10/12")).toBeLessThan(0);
    expect(compareOffsets("4950:0#1/2", "4950:0#1/2")).toBe(0);
  });
});
