// Content failures versus transient ones in the processor runtime (runtime/failures.ts,
// runProcessor): poison goes to dead letters and the partition moves on; outages are retried
// with backoff and nothing is skipped; a failing tick backs off.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsumedMessage, SearchStore, StoredEvent } from "@reeltime/connectors";
import { type Bus, type ConsumedBatch, createArchive, createBus, type DeadLetter } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import {
  ContentError,
  classifyFailure,
  deadLetter,
  decode,
  type Processor,
  processorMetrics,
  publishDeadLetters,
  runProcessor,
} from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv, ReeltimeError, unavailable } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Archiver } from "../src/archiver/event-archiver.ts";
import type { ParquetWriter } from "../src/archiver/parquet.ts";
import { Indexer } from "../src/indexer/indexer.ts";
import { testCommitter, waitFor } from "./fixtures.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const log = createLogger("poison-test", { level: "silent" });
const DEEP = `{"event_id":"deep","x":${"[".repeat(5000)}${"]".repeat(5000)}}`;

let dir: string;
let bus: Bus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-poison-"));
  bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics([
    { name: "poison.in", partitions: 1 },
    { name: "transient.in", partitions: 1 },
    { name: "tick.in", partitions: 1 },
    { name: TOPICS.deadLetter, partitions: 1 },
  ]);
});
afterAll(async () => {
  await bus.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** Reads what the dead-letter topic holds, as a fresh group. */
async function lettersOnBus(group: string, expected: number, stage?: string): Promise<DeadLetter[]> {
  const got: DeadLetter[] = [];
  const sub = await bus.consume({
    group,
    topics: [TOPICS.deadLetter],
    commit: "after-handler",
    handler: async (b) => {
      for (const m of b.messages) {
        const l = JSON.parse(dec.decode(m.value)) as DeadLetter;
        if (stage === undefined || l.stage === stage) got.push(l);
      }
    },
  });
  try {
    await waitFor(`${expected} dead letters`, async () => got.length >= expected, 10_000);
  } finally {
    await sub.stop();
  }
  return got;
}

const counter = async (registry: ReturnType<typeof createRegistry>, name: string, processor: string) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.processor === processor)?.value ?? 0;

describe("classifyFailure", () => {
  it("tells content failures from transient ones", () => {
    let overflow: unknown;
    try {
      structuredClone(JSON.parse(`${"[".repeat(5000)}${"]".repeat(5000)}`));
    } catch (err) {
      overflow = err;
    }
    expect(overflow).toBeInstanceOf(RangeError);
    expect(classifyFailure(overflow)).toBe("content");
    expect(classifyFailure(new SyntaxError("Unexpected token"))).toBe("content");
    expect(classifyFailure(new ContentError("no low surrogate in string"))).toBe("content");
    expect(classifyFailure(new ReeltimeError("REELTIME_ERR_ARCHIVE_CONTENT", "x"))).toBe("content");
    expect(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe("content");
    // Outages, access and unknown failures are retried, never skipped.
    expect(classifyFailure(unavailable("search", "connect ECONNREFUSED"))).toBe("transient");
    expect(classifyFailure(new ReeltimeError("REELTIME_ERR_AUTH", "bad key"))).toBe("transient");
    expect(classifyFailure(new TypeError("fetch failed", { cause: new Error("ECONNRESET") }))).toBe("transient");
    expect(classifyFailure(new Error("socket hang up"))).toBe("transient");
    expect(classifyFailure("a string")).toBe("transient");
  });
});

describe("decode", () => {
  it("refuses a value nested deeper than 64 levels, at any depth, without recursion", () => {
    const nested = (levels: number) => `{"a":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;
    const msg = (text: string) => ({ value: enc.encode(text) }) as ConsumedMessage;
    expect(decode(msg(nested(64)))).toBeDefined();
    expect(decode(msg(nested(65)))).toBeUndefined();
    expect(decode(msg(nested(1_000_000)))).toBeUndefined();
    expect(decode(msg(nested(5000)), { maxDepth: Number.POSITIVE_INFINITY })).toBeDefined();
  });
});

describe("runProcessor", () => {
  it("sends a message that fails for its content to dead letters and moves the partition on", async () => {
    const values = ['{"event_id":"a"}', DEEP, '{"event_id":"b"}', '{"event_id":"c"}'];
    await bus.publish(
      "poison.in",
      values.map((v) => ({ key: "k", value: enc.encode(v) })),
    );
    const stored: string[] = [];
    // Like a store that clones what it keeps: a 5,000-level value overflows the clone, every time.
    const p: Processor = {
      name: "cloner",
      group: "poison-cloner",
      topics: ["poison.in"],
      commit: "after-handler",
      async handle(batch: ConsumedBatch) {
        const keep: string[] = [];
        const letters: DeadLetter[] = [];
        for (const m of batch.messages) {
          const e = decode(m, { maxDepth: Number.POSITIVE_INFINITY });
          if (!e) letters.push(deadLetter("cloner", "not_json", "not JSON", m, undefined));
          else keep.push((structuredClone(e) as { event_id: string }).event_id);
        }
        await publishDeadLetters(bus, letters);
        stored.push(...keep);
      },
    };
    const registry = createRegistry("poison");
    const metrics = processorMetrics(registry);
    const running = await runProcessor(p, { bus, log, metrics, lagIntervalMs: 50 });
    try {
      await waitFor("the partition moved past the poison", async () => (await running.lag()).every((l) => l.lag === 0));
      expect(new Set(stored)).toEqual(new Set(["a", "b", "c"]));
      const [letter] = await lettersOnBus("poison-letters-reader", 1);
      expect(letter).toMatchObject({ stage: "cloner", reason: "unprocessable", topic: "poison.in" });
      expect(letter!.message).toContain("Maximum call stack size exceeded");
      // Kept as the event it was, bounded: too deep, so the start of its JSON text (all of it here).
      expect(letter!.event_id).toBe("deep");
      expect(letter!.payload).toEqual({ truncated: true, why: "nested deeper than 16 levels", text: DEEP });
      expect(await counter(registry, "reeltime_processor_poison_messages_total", "cloner")).toBe(1);
    } finally {
      await running.stop();
    }
  });

  it("retries a transient failure after a backoff and skips nothing", async () => {
    await bus.publish("transient.in", [
      { key: "k", value: enc.encode('{"event_id":"x"}') },
      { key: "k", value: enc.encode('{"event_id":"y"}') },
    ]);
    const attempts: number[] = [];
    const stored: string[] = [];
    const p: Processor = {
      name: "flaky",
      group: "transient-flaky",
      topics: ["transient.in"],
      commit: "after-handler",
      async handle(batch) {
        attempts.push(Date.now());
        if (attempts.length <= 2) throw unavailable("search", "connect ECONNREFUSED 127.0.0.1:9200");
        for (const m of batch.messages) stored.push(decode<{ event_id: string }>(m)!.event_id);
      },
    };
    const registry = createRegistry("transient");
    const metrics = processorMetrics(registry);
    const running = await runProcessor(p, { bus, log, metrics, lagIntervalMs: 50 });
    try {
      await waitFor("handled after the outage", async () => stored.length >= 2, 10_000);
      expect(stored).toEqual(["x", "y"]);
      expect(attempts.length).toBe(3);
      // The bus waits at least 50 ms (plus a growing jittered backoff) before delivering again.
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(45);
      expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(45);
      expect(await counter(registry, "reeltime_processor_batch_failures_total", "flaky")).toBe(2);
      expect(await counter(registry, "reeltime_processor_poison_messages_total", "flaky")).toBe(0);
      await waitFor("committed", async () => (await running.lag()).every((l) => l.lag === 0), 10_000);
    } finally {
      await running.stop();
    }
  });

  it("tries a failing tick again after a growing backoff, not every tickMs", async () => {
    const ticks: number[] = [];
    let failing = true;
    const p: Processor = {
      name: "ticker",
      group: "tick-ticker",
      topics: ["tick.in"],
      commit: "manual",
      tickMs: 20,
      async handle() {},
      async tick() {
        ticks.push(Date.now());
        if (failing) throw unavailable("archive", "S3 answered 503");
      },
    };
    const registry = createRegistry("tick");
    const metrics = processorMetrics(registry);
    const running = await runProcessor(p, { bus, log, metrics });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      // Every 20 ms would be ~50 ticks; backoff (10, 20, 40, ... ms at least) leaves a handful.
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(12);
      expect(await counter(registry, "reeltime_processor_tick_failures_total", "ticker")).toBe(ticks.length);
      failing = false;
      const before = ticks.length;
      await waitFor("ticks again at its pace once it succeeds", async () => ticks.length >= before + 10, 20_000);
    } finally {
      await running.stop();
    }
  });
});

describe("the indexer", () => {
  it("splits a flush the store refuses for one document's content; that document goes to dead letters", async () => {
    // Like Elasticsearch's http.max_content_length: the whole request is refused, not one document.
    const indexed: string[] = [];
    const search = {
      async index(docs: StoredEvent[]) {
        if (docs.some((d) => JSON.stringify(d).length > 2000))
          throw new ReeltimeError("REELTIME_ERR_SEARCH", "request body too large", { upstreamStatus: 413 });
        indexed.push(...docs.map((d) => d.event_id));
        return { indexed: docs.length, duplicates: 0, rejected: [] };
      },
    } as unknown as SearchStore;
    const registry = createRegistry("indexer-poison");
    const indexer = new Indexer({ search, bus, log, metrics: processorMetrics(registry) }, { maxDelayMs: 0 });
    const messages: ConsumedMessage[] = ["e1", "e2", "big", "e4", "e5"].map((id, i) => ({
      topic: TOPICS.playback,
      partition: "0",
      offset: String(i),
      key: "k",
      value: enc.encode(JSON.stringify({ event_id: id, blob: id === "big" ? "x".repeat(5000) : "" })),
      headers: {},
      timestamp: Date.now(),
    }));
    const { commit, state } = testCommitter(1);
    await indexer.handle({ topic: TOPICS.playback, partition: "0", messages }, commit);
    await indexer.flush(commit);
    expect(indexed.sort()).toEqual(["e1", "e2", "e4", "e5"]);
    expect(state.commits.at(-1)).toEqual({ topic: TOPICS.playback, partition: "0", offset: "4" });
    const [letter] = await lettersOnBus("indexer-letters-reader", 1, "indexer");
    expect(letter).toMatchObject({ reason: "unprocessable", event_id: "big" });
    expect(letter!.message).toContain("request body too large");
  });
});

describe("the archiver", () => {
  it("sends the rows Parquet refuses to dead letters in a few writes, and archives the rest", async () => {
    const calls: number[] = [];
    let archived: string[] = [];
    const writer = {
      async write(_columns: unknown, rows: { event_id: string }[]) {
        calls.push(rows.length);
        if (rows.some((r) => r.event_id.startsWith("bad")))
          throw new ReeltimeError("REELTIME_ERR_ARCHIVE_CONTENT", "Invalid Input Error: Malformed JSON");
        archived = rows.map((r) => r.event_id);
        return new Uint8Array([1]);
      },
    } as unknown as ParquetWriter;
    const archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: join(dir, "archive") }));
    await archive.start();
    const archiver = new Archiver(
      { archive, bus, writer, log, metrics: processorMetrics(createRegistry("archiver-poison")) },
      { maxAgeMs: 0 },
    );
    const ids = Array.from({ length: 1000 }, (_, i) => (i === 137 || i === 901 ? `bad-${i}` : `ok-${i}`));
    const messages: ConsumedMessage[] = ids.map((id, i) => ({
      topic: TOPICS.playback,
      partition: "0",
      offset: String(i),
      key: "k",
      value: enc.encode(JSON.stringify({ event_id: id, client_ts: "2026-12-01T10:00:00.000Z" })),
      headers: {},
      timestamp: Date.now(),
    }));
    const { commit, state } = testCommitter(1);
    try {
      await archiver.handle({ topic: TOPICS.playback, partition: "0", messages }, commit);
      await archiver.flush(commit);
      expect(archived).toEqual(ids.filter((id) => id.startsWith("ok")));
      expect(state.commits.at(-1)).toEqual({ topic: TOPICS.playback, partition: "0", offset: "999" });
      // Halving finds two bad rows in 1,000 with a few dozen writes, not one write per row.
      expect(calls.length).toBeLessThan(50);
      const letters = await lettersOnBus("archiver-letters-reader", 2, "archiver");
      expect(letters.map((l) => [l.reason, l.event_id]).sort()).toEqual([
        ["unarchivable", "bad-137"],
        ["unarchivable", "bad-901"],
      ]);
    } finally {
      await archive.shutdown();
    }
  });
});
