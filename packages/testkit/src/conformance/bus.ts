import { randomUUID } from "node:crypto";
import type {
  Bus,
  BusMessage,
  ConsumedBatch,
  ConsumedMessage,
  ConsumeOptions,
  Subscription,
} from "@reeltime/connectors";
import { afterEach, describe, expect, it } from "vitest";

export interface BusConformanceOptions {
  /** A bus whose backing service is down (a closed port, an unwritable data directory). */
  makeUnavailableBus: () => Promise<Bus>;
  /** Partitions (shards) per test topic. Default 4. */
  partitions?: number;
  /** How long a test waits for deliveries before failing. Default 30 s. */
  deliveryTimeoutMs?: number;
  /** A publish to a down service must have failed within this. Default 6 s (an HTTP 503 in ~5 s). */
  unavailableWithinMs?: number;
}

interface Payload {
  id: string;
  key: string;
  seq: number;
  pad?: string;
}

const runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
let counter = 0;
/** Topic and group names unique per run, so reruns against a real cluster never collide. */
const uniq = (label: string) => `rt-conf-${runId}-${label}-${++counter}`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const message = (key: string, seq: number, extra: Partial<BusMessage> = {}, pad = 0): BusMessage => ({
  key,
  value: encoder.encode(JSON.stringify({ id: `${key}#${seq}`, key, seq, pad: "x".repeat(pad) } satisfies Payload)),
  ...extra,
});
const payload = (m: ConsumedMessage): Payload => JSON.parse(decoder.decode(m.value)) as Payload;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Records every delivery, in order, with the batch it came in. */
class Collector {
  readonly batches: ConsumedBatch[] = [];
  readonly messages: ConsumedMessage[] = [];
  readonly handler = async (batch: ConsumedBatch): Promise<void> => {
    this.batches.push(batch);
    this.messages.push(...batch.messages);
  };
  ids(): Set<string> {
    return new Set(this.messages.map((m) => payload(m).id));
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The promises of the Bus port (packages/ports/src/bus.ts), run unchanged against
 * every adapter. `makeBus` returns a new instance on the same backing store each call, so
 * a test can "restart" by shutting one down and making another.
 */
export function busConformance(name: string, makeBus: () => Promise<Bus>, opts: BusConformanceOptions): void {
  const partitions = opts.partitions ?? 4;
  const timeout = opts.deliveryTimeoutMs ?? 30_000;
  const buses: Bus[] = [];
  const subs: Subscription[] = [];

  const open = async () => {
    const bus = await makeBus();
    buses.push(bus);
    return bus;
  };
  const topicOn = async (bus: Bus, label: string) => {
    const topic = uniq(label);
    await bus.ensureTopics([{ name: topic, partitions }]);
    return topic;
  };
  const consume = async (bus: Bus, options: ConsumeOptions) => {
    const sub = await bus.consume(options);
    subs.push(sub);
    return sub;
  };

  afterEach(async () => {
    await Promise.allSettled(subs.splice(0).map((s) => s.stop()));
    await Promise.allSettled(buses.splice(0).map((b) => b.shutdown()));
  });

  describe(`Bus conformance: ${name}`, () => {
    it("round-trips key, value and headers (trace context, schema version)", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "roundtrip");
      await bus.ensureTopics([{ name: topic, partitions }]);
      const headers = {
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        tracestate: "rojo=00f067aa0ba902b7",
        schema_version: "1.2",
      };
      await bus.publish(topic, [message("view-a", 0, { headers }), message("view-b", 0), message("view-a", 1)]);
      const c = new Collector();
      const before = Date.now() - 60_000;
      await consume(bus, { group: uniq("g"), topics: [topic], handler: c.handler });
      await waitFor("3 messages", () => c.messages.length >= 3, timeout);
      expect(c.messages).toHaveLength(3);
      const first = c.messages.find((m) => payload(m).id === "view-a#0");
      expect(first?.key).toBe("view-a");
      expect(first?.topic).toBe(topic);
      expect(first?.headers).toMatchObject(headers);
      expect(typeof first?.partition).toBe("string");
      expect(typeof first?.offset).toBe("string");
      expect(first?.timestamp).toBeGreaterThan(before);
      expect([...c.ids()].sort()).toEqual(["view-a#0", "view-a#1", "view-b#0"]);
      expect((await bus.health()).ok).toBe(true);
    });

    it("keeps order per key across publishes and batches of at most maxBatchSize", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "order");
      const keys = range(8).map((k) => `view-${k}`);
      for (let round = 0; round < 8; round++) {
        await bus.publish(
          topic,
          range(5).flatMap((i) => keys.map((k) => message(k, round * 5 + i))),
        );
      }
      const c = new Collector();
      await consume(bus, { group: uniq("g"), topics: [topic], handler: c.handler, maxBatchSize: 7 });
      await waitFor("320 messages", () => c.ids().size >= 320, timeout);
      for (const key of keys) {
        const seen = c.messages.filter((m) => m.key === key);
        expect(seen.map((m) => payload(m).seq)).toEqual(range(40));
        expect(new Set(seen.map((m) => m.partition)).size).toBe(1);
      }
      for (const b of c.batches) {
        expect(b.messages.length).toBeGreaterThan(0);
        expect(b.messages.length).toBeLessThanOrEqual(7);
        expect(b.messages.every((m) => m.partition === b.partition && m.topic === b.topic)).toBe(true);
      }
    });

    it("redelivers a batch whose handler rejected, keeping order and losing nothing", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "retry");
      await bus.publish(
        topic,
        range(10).map((i) => message("job-1", i)),
      );
      const delivered: number[] = [];
      const errors: unknown[] = [];
      let failures = 0;
      await consume(bus, {
        group: uniq("g"),
        topics: [topic],
        maxBatchSize: 4,
        onError: (e) => errors.push(e),
        handler: async (b) => {
          if (failures < 2) {
            failures++;
            throw new Error("handler failed");
          }
          delivered.push(...b.messages.map((m) => payload(m).seq));
        },
      });
      await waitFor("10 messages after 2 failures", () => delivered.length >= 10, timeout);
      expect(delivered).toEqual(range(10));
      expect(errors.length).toBe(2);
    });

    it("redelivers everything not committed when a consumer stops before committing (crash)", async () => {
      const producer = await open();
      const topic = await topicOn(producer, "crash");
      const group = uniq("g");
      const sent = range(30).map((i) => message(`view-${i % 6}`, i));
      await producer.publish(topic, sent);
      const first = new Collector();
      const sub1 = await consume(await open(), { group, topics: [topic], handler: first.handler, commit: "manual" });
      await waitFor("30 messages on the first consumer", () => first.ids().size >= 30, timeout);
      await sub1.stop();
      const second = new Collector();
      await consume(await open(), { group, topics: [topic], handler: second.handler });
      await waitFor("30 messages redelivered", () => second.ids().size >= 30, timeout);
      expect(second.ids()).toEqual(first.ids());
    });

    it("in manual mode commits only the positions given, and only forward", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "manual");
      const group = uniq("g");
      await bus.publish(
        topic,
        range(20).map((i) => message("view-m", i)),
      );
      const first = new Collector();
      const sub1 = await consume(bus, { group, topics: [topic], handler: first.handler, commit: "manual" });
      await waitFor("20 messages", () => first.messages.length >= 20, timeout);
      const at = (seq: number) => first.messages.find((m) => payload(m).seq === seq) as ConsumedMessage;
      await sub1.commit([{ topic, partition: at(9).partition, offset: at(9).offset }]);
      await sub1.commit([{ topic, partition: at(4).partition, offset: at(4).offset }]);
      await sub1.stop();

      const second = new Collector();
      const sub2 = await consume(bus, { group, topics: [topic], handler: second.handler, commit: "manual" });
      await waitFor("10 uncommitted messages", () => second.messages.length >= 10, timeout);
      expect(second.messages.map((m) => payload(m).seq)).toEqual(range(10).map((i) => i + 10));
      const pending = async () => (await sub2.lag()).reduce((n, l) => n + l.lag, 0);
      expect(await pending()).toBeGreaterThan(0);
      const last = second.messages.at(-1) as ConsumedMessage;
      await sub2.commit([{ topic, partition: last.partition, offset: last.offset }]);
      await waitFor("lag 0 after the commit", async () => (await pending()) === 0, timeout);
    });

    it("rereads a partition from its last commit under a new hold, the batches of the old hold dropped", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "reread");
      const group = uniq("g");
      // One key: every message in one partition, in order.
      await bus.publish(
        topic,
        range(10).map((i) => message("view-r", i)),
      );
      const seen = new Collector();
      const sub = await consume(bus, { group, topics: [topic], handler: seen.handler, commit: "manual" });
      await waitFor("10 messages", () => seen.messages.length >= 10, timeout);
      const at = (seq: number) => seen.messages.find((m) => payload(m).seq === seq) as ConsumedMessage;
      const { partition } = at(0);
      await sub.commit([{ topic, partition, offset: at(3).offset }]);
      const before = sub.hold(topic, partition);
      expect(before).toBeTypeOf("number");
      const delivered = seen.messages.length;
      await sub.reread(topic, partition);
      const after = sub.hold(topic, partition);
      expect(after).toBeTypeOf("number");
      expect(after).not.toBe(before);
      // Everything after the commit comes again, in order, and nothing before it.
      await waitFor("the 6 uncommitted messages again", () => seen.messages.length >= delivered + 6, timeout);
      expect(seen.messages.slice(delivered).map((m) => payload(m).seq)).toEqual(range(6).map((i) => i + 4));
      // Rereading a partition not owned here does nothing.
      await sub.reread(topic, "99");
      expect(sub.hold(topic, "99")).toBeUndefined();
    });

    it("loses nothing across a restart and keeps the group's positions", async () => {
      const group = uniq("g");
      const a = await open();
      const topic = await topicOn(a, "restart");
      await a.publish(
        topic,
        range(50).map((i) => message(`view-${i % 7}`, i)),
      );
      await a.shutdown();

      const b = await open();
      const c1 = new Collector();
      const sub = await consume(b, { group, topics: [topic], handler: c1.handler });
      await waitFor("50 messages after the restart", () => c1.ids().size >= 50, timeout);
      await sub.stop();
      await b.publish(
        topic,
        range(5).map((i) => message(`view-${i}`, 50 + i)),
      );
      await b.shutdown();

      const c = await open();
      const c2 = new Collector();
      await consume(c, { group, topics: [topic], handler: c2.handler });
      await waitFor("the 5 new messages", () => c2.ids().size >= 5, timeout);
      await new Promise((r) => setTimeout(r, 300));
      expect([...c2.ids()].sort()).toEqual(
        range(5)
          .map((i) => `view-${i}#${50 + i}`)
          .sort(),
      );
    });

    it("delivers duplicates published twice (the consumer dedupes by id), none lost", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "dupes");
      const batch = range(10).map((i) => message(`view-${i % 3}`, i));
      await bus.publish(topic, batch);
      await bus.publish(topic, batch);
      const c = new Collector();
      await consume(bus, { group: uniq("g"), topics: [topic], handler: c.handler });
      await waitFor("20 deliveries", () => c.messages.length >= 20, timeout);
      for (const i of range(10)) {
        expect(c.messages.filter((m) => payload(m).seq === i).length).toBeGreaterThanOrEqual(2);
      }
    });

    it("publishes large batches and messages up to maxMessageBytes, splitting requests within the limits", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "large");
      const small = range(2000).map((i) => message(`view-${i % 50}`, i, {}, 1000));
      await bus.publish(topic, small);
      const big = range(6).map((i) => message(`job-${i}`, 2000 + i, {}, 900_000));
      await bus.publish(topic, big);
      const nearMax = message("job-max", 3000, {}, 0);
      const fill = bus.maxMessageBytes - 64 - nearMax.value.length - nearMax.key.length;
      const edge = message("job-max", 3000, {}, fill);
      await bus.publish(topic, [edge]);
      const c = new Collector();
      await consume(bus, { group: uniq("g"), topics: [topic], handler: c.handler, maxBatchSize: 500 });
      await waitFor("2007 messages", () => c.ids().size >= 2007, timeout);
      const got = c.messages.find((m) => payload(m).seq === 3000);
      expect(got?.value.length).toBe(edge.value.length);
      expect(payload(got as ConsumedMessage).pad?.length).toBe(fill);
    });

    it("rejects a message over maxMessageBytes with a clear error and sends nothing of that call", async () => {
      const bus = await open();
      const topic = await topicOn(bus, "toolarge");
      const huge = message("view-big", 1, {}, bus.maxMessageBytes + 1);
      const err = await bus.publish(topic, [message("view-big", 0), huge]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "REELTIME_ERR_BUS_MESSAGE_TOO_LARGE", retryable: false, status: 413 });
      expect((err as Error).message).toMatch(/bytes/);
      await bus.publish(topic, [message("view-big", 2)]);
      const c = new Collector();
      await consume(bus, { group: uniq("g"), topics: [topic], handler: c.handler });
      await waitFor("the message after the rejected call", () => c.messages.length >= 1, timeout);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.messages.map((m) => payload(m).seq)).toEqual([2]);
    });

    it("splits partitions between two consumers of a group; the survivor takes over", async () => {
      const a = await open();
      const b = await open();
      const topic = await topicOn(a, "split");
      const group = uniq("g");
      const ca = new Collector();
      const cb = new Collector();
      const subA = await consume(a, { group, topics: [topic], handler: ca.handler });
      const subB = await consume(b, { group, topics: [topic], handler: cb.handler });
      const owned = (s: Subscription) => s.assignments().map((p) => `${p.topic}/${p.partition}`);
      await waitFor(
        "both consumers to own disjoint partitions covering the topic",
        () => {
          const pa = owned(subA);
          const pb = owned(subB);
          return (
            pa.length > 0 &&
            pb.length > 0 &&
            new Set([...pa, ...pb]).size === partitions &&
            pa.length + pb.length === partitions
          );
        },
        timeout,
      );
      await a.publish(
        topic,
        range(200).map((i) => message(`view-${i % 40}`, i)),
      );
      const all = () => new Set([...ca.ids(), ...cb.ids()]);
      await waitFor("200 messages across both", () => all().size >= 200, timeout);
      expect(ca.messages.length).toBeGreaterThan(0);
      expect(cb.messages.length).toBeGreaterThan(0);

      await subA.stop();
      await waitFor("the survivor to own every partition", () => owned(subB).length === partitions, timeout);
      await b.publish(
        topic,
        range(100).map((i) => message(`view-${i % 40}`, 200 + i)),
      );
      await waitFor(
        "100 new messages on the survivor",
        () => range(100).every((i) => cb.ids().has(`view-${i % 40}#${200 + i}`)),
        timeout,
      );

      // A partition that moves away and comes back is a new hold: state kept from before is stale.
      const holdOf = (s: Subscription, key: string) => {
        const cut = key.lastIndexOf("/");
        return s.hold(key.slice(0, cut), key.slice(cut + 1));
      };
      const before = new Map(owned(subB).map((key) => [key, holdOf(subB, key)]));
      for (const h of before.values()) expect(h).toBeTypeOf("number");
      expect(owned(subA).map((key) => holdOf(subA, key))).toEqual([]);
      const c = await open();
      const subC = await consume(c, { group, topics: [topic], handler: new Collector().handler });
      await waitFor(
        "a third consumer to take partitions from the survivor",
        () =>
          owned(subC).length > 0 &&
          owned(subB).length + owned(subC).length === partitions &&
          owned(subC).every((key) => holdOf(subB, key) === undefined && holdOf(subC, key) !== undefined),
        timeout,
      );
      const moved = owned(subC);
      await subC.stop();
      expect(moved.map((key) => holdOf(subC, key))).toEqual(moved.map(() => undefined));
      await waitFor("the survivor to own every partition again", () => owned(subB).length === partitions, timeout);
      for (const key of moved) {
        expect(holdOf(subB, key)).toBeTypeOf("number");
        expect(holdOf(subB, key), key).not.toBe(before.get(key));
      }
    });

    it("rejects publish with a retryable error in bounded time when the service is down, never silently", async () => {
      const bus = await opts.makeUnavailableBus();
      buses.push(bus);
      const started = Date.now();
      const err = await bus.publish(uniq("down"), [message("view-x", 0)]).then(
        () => new Error("publish resolved against a bus that is down"),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(err).toMatchObject({ code: "REELTIME_ERR_BUS_UNAVAILABLE", retryable: true, status: 503 });
      expect(elapsed).toBeLessThan(opts.unavailableWithinMs ?? 6000);
      expect((await bus.health()).ok).toBe(false);
    });
  });
}
