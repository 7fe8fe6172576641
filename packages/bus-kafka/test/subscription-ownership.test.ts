// What a Kafka subscription believes it owns across rebalances, driven by the kafkajs consumer
// events it listens to (a stand-in consumer emits them in the orders a broker can cause).
import type { Kafka } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { KafkaSubscription } from "../src/subscription.ts";

class FakeConsumer {
  readonly events = {
    GROUP_JOIN: "join",
    REBALANCING: "rebalancing",
    HEARTBEAT: "heartbeat",
    STOP: "stop",
    CRASH: "crash",
  };
  runs = 0;
  readonly #handlers = new Map<string, ((e: { payload: unknown }) => void)[]>();
  commits: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  on(event: string, f: (e: { payload: unknown }) => void) {
    this.#handlers.set(event, [...(this.#handlers.get(event) ?? []), f]);
  }
  emit(event: string, payload: unknown = {}) {
    for (const f of this.#handlers.get(event) ?? []) f({ payload });
  }
  join(assignment: Record<string, number[]>) {
    this.emit("join", { memberAssignment: assignment });
  }
  heartbeat(generation: number) {
    this.emit("heartbeat", { groupGenerationId: generation });
  }
  async connect() {}
  async subscribe() {}
  async disconnect() {}
  async run() {
    this.runs++;
  }
  commitOffsets() {
    return new Promise<void>((resolve, reject) => this.commits.push({ resolve, reject }));
  }
}

function subscription() {
  const consumer = new FakeConsumer();
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const sub = new KafkaSubscription(
    kafka,
    { group: "g", topics: ["t"], handler: async () => undefined },
    async () => {
      throw new Error("no admin in this test");
    },
    "127.0.0.1:1",
  );
  return { consumer, sub };
}
const owned = (sub: KafkaSubscription) => sub.assignments().map((p) => `${p.topic}/${p.partition}`);
const rebalancing = Object.assign(new Error("The group is rebalancing"), { type: "REBALANCE_IN_PROGRESS" });

describe("Kafka subscription ownership", () => {
  it("a rebalance that ends without a join (kafkajs keeps its generation) gives the partitions back on a heartbeat of that generation", () => {
    const { consumer, sub } = subscription();
    consumer.join({ t: [0, 1] });
    consumer.heartbeat(5);
    const hold = sub.hold("t", "1");
    expect(hold).toBeDefined();
    consumer.emit("rebalancing");
    expect(owned(sub)).toEqual([]);
    expect(sub.hold("t", "1")).toBeUndefined();
    // The rejoin failed (coordinator loading); kafkajs fetches on in generation 5 and the
    // coordinator accepts its heartbeat: the batches it delivers are this instance's again.
    consumer.heartbeat(5);
    expect(owned(sub)).toEqual(["t/0", "t/1"]);
    expect(sub.hold("t", "1")).toBe(hold);
  });

  it("a rebalance that ends in a join takes the new assignment and a new hold; a later heartbeat restores nothing", () => {
    const { consumer, sub } = subscription();
    consumer.join({ t: [0, 1] });
    consumer.heartbeat(5);
    const hold = sub.hold("t", "1");
    consumer.emit("rebalancing");
    consumer.join({ t: [1] });
    consumer.heartbeat(6);
    expect(owned(sub)).toEqual(["t/1"]);
    expect(sub.hold("t", "1")).not.toBe(hold);
    consumer.heartbeat(5);
    expect(owned(sub)).toEqual(["t/1"]);
  });

  it("a heartbeat of another generation, or after a stop, gives nothing back", () => {
    const { consumer, sub } = subscription();
    consumer.join({ t: [0] });
    consumer.heartbeat(5);
    consumer.emit("rebalancing");
    consumer.heartbeat(7);
    expect(owned(sub)).toEqual([]);

    const second = subscription();
    second.consumer.join({ t: [0] });
    second.consumer.heartbeat(3);
    second.consumer.emit("rebalancing");
    second.consumer.emit("stop");
    second.consumer.heartbeat(3);
    expect(owned(second.sub)).toEqual([]);
  });

  it("a rebalance before any heartbeat of the generation waits for the join", () => {
    const { consumer, sub } = subscription();
    consumer.join({ t: [0] });
    consumer.emit("rebalancing");
    consumer.heartbeat(2);
    expect(owned(sub)).toEqual([]);
    consumer.join({ t: [0] });
    expect(owned(sub)).toEqual(["t/0"]);
  });

  it("a fenced commit drops ownership, unless a join came while it was in flight", async () => {
    const { consumer, sub } = subscription();
    consumer.join({ t: [0, 1] });
    const inFlight = sub.commit([{ topic: "t", partition: "0", offset: "10" }]);
    consumer.join({ t: [0] });
    consumer.commits[0]?.reject(rebalancing);
    await expect(inFlight).rejects.toThrow();
    expect(owned(sub)).toEqual(["t/0"]);

    const fenced = sub.commit([{ topic: "t", partition: "0", offset: "11" }]);
    consumer.commits[1]?.reject(rebalancing);
    await expect(fenced).rejects.toThrow();
    expect(owned(sub)).toEqual([]);
  });

  it("a consumer kafkajs will not restart after a crash is started again; one it restarts itself, or a stopped one, is left alone", async () => {
    const { consumer, sub } = subscription();
    await sub.start();
    expect(consumer.runs).toBe(1);
    // kafkajs restarts this one on its own: a second run from here would be a second consumer loop.
    consumer.emit("crash", { error: new Error("request timed out"), groupId: "g", restart: true });
    await new Promise((r) => setTimeout(r, 800));
    expect(consumer.runs).toBe(1);
    // A crash kafkajs gives up on: without a restart nothing would be consumed again.
    consumer.emit("crash", { error: new Error("unexpected answer"), groupId: "g", restart: false });
    // A second crash report while the restart waits its backoff starts nothing more.
    consumer.emit("crash", { error: new Error("unexpected answer, again"), groupId: "g", restart: false });
    await vi.waitFor(() => expect(consumer.runs).toBe(2), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 800));
    expect(consumer.runs).toBe(2);
    expect(sub.restarts).toBe(1);
    // A crash of the restarted consumer is handled like the first.
    consumer.emit("crash", { error: new Error("and once more"), groupId: "g", restart: false });
    await vi.waitFor(() => expect(consumer.runs).toBe(3), { timeout: 3000 });
    expect(sub.restarts).toBe(2);
    await sub.stop();
    consumer.emit("crash", { error: new Error("after stop"), groupId: "g", restart: false });
    await new Promise((r) => setTimeout(r, 800));
    expect(consumer.runs).toBe(3);
  });
});
