import { afterEach, describe, expect, it, vi } from "vitest";
import { ProduceQueue, requestChunks, type TopicMessages } from "../../src/bus/produce-queue.ts";

const msg = (v: string) => ({ key: "k", value: Buffer.from(v) });
const values = (batch: TopicMessages[]) =>
  batch.map((t) => `${t.topic}:${t.messages.map((m) => String(m.value)).join(",")}`);

/** A send that holds each request until the test releases it. */
function gatedSend(fail: (n: number) => boolean = () => false) {
  const sent: string[][] = [];
  const gates: (() => void)[] = [];
  const send = async (batch: TopicMessages[]) => {
    const n = sent.push(values(batch));
    await new Promise<void>((r) => gates.push(r));
    if (fail(n)) throw new Error(`request ${n} refused`);
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 1));
  };
  return { sent, send, release };
}

describe("produce queue", () => {
  it("sends a lone publish at once and coalesces those that arrive meanwhile, in order, by topic", async () => {
    const g = gatedSend();
    const q = new ProduceQueue(g.send, 1000);
    const first = q.push("a", [msg("1")], 10).done;
    const rest = [q.push("a", [msg("2")], 10), q.push("b", [msg("3")], 10), q.push("a", [msg("4")], 10)];
    expect(g.sent).toEqual([["a:1"]]);
    let restDone = false;
    void Promise.all(rest.map((r) => r.done)).then(() => (restDone = true));
    await g.release();
    await first;
    expect(g.sent).toEqual([["a:1"], ["a:2,4", "b:3"]]);
    expect(restDone).toBe(false); // not acknowledged yet
    await g.release();
    await Promise.all(rest.map((r) => r.done));
    expect(q.stats).toEqual({ requests: 2, entries: 4 });
  });

  it("keeps each request under maxBytes, a chunk never split", async () => {
    const g = gatedSend();
    const q = new ProduceQueue(g.send, 25);
    const all = [q.push("a", [msg("1")], 10), ...[2, 3, 4, 5].map((i) => q.push("a", [msg(String(i))], 10))];
    for (let i = 0; i < 3; i++) await g.release();
    await Promise.all(all.map((p) => p.done));
    expect(g.sent).toEqual([["a:1"], ["a:2,3"], ["a:4,5"]]);
  });

  it("a refused request rejects exactly the publishes it carried; the next ones still go", async () => {
    const g = gatedSend((n) => n === 2);
    const q = new ProduceQueue(g.send, 1000);
    const one = q.push("a", [msg("1")], 10).done;
    const two = q.push("a", [msg("2")], 10).done;
    const three = q.push("a", [msg("3")], 10).done;
    const twoFailed = expect(two).rejects.toThrow(/request 2 refused/);
    const threeFailed = expect(three).rejects.toThrow(/request 2 refused/);
    await g.release();
    await one;
    await g.release();
    await twoFailed;
    await threeFailed;
    const four = q.push("a", [msg("4")], 10).done;
    await g.release();
    await four;
    expect(g.sent).toEqual([["a:1"], ["a:2,3"], ["a:4"]]);
  });

  it("drops a publish abandoned before it was taken into a request", async () => {
    const g = gatedSend();
    const q = new ProduceQueue(g.send, 1000);
    const one = q.push("a", [msg("1")], 10).done;
    const gaveUp = q.push("a", [msg("2")], 10);
    const three = q.push("a", [msg("3")], 10).done;
    gaveUp.abandon();
    await g.release();
    await one;
    await g.release();
    await three;
    expect(g.sent).toEqual([["a:1"], ["a:3"]]);
  });
});

describe("produce queue linger (REELTIME_KAFKA_LINGER_MS)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const fake = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });

  /** A send that records each request and holds it until `release()`. */
  function heldSend() {
    const sent: string[][] = [];
    const held: (() => void)[] = [];
    const send = (batch: TopicMessages[]) =>
      new Promise<void>((r) => {
        sent.push(values(batch));
        held.push(r);
      });
    return { sent, send, release: () => held.shift()?.() };
  }

  it("a request that would not be full waits until its oldest publish is lingerMs old, and takes what arrived meanwhile", async () => {
    fake();
    const s = heldSend();
    const q = new ProduceQueue(s.send, 1000, 5);
    const one = q.push("a", [msg("1")], 10).done;
    await vi.advanceTimersByTimeAsync(2);
    const two = q.push("b", [msg("2")], 10).done;
    await vi.advanceTimersByTimeAsync(2);
    expect(s.sent).toEqual([]); // 4 ms: still lingering
    await vi.advanceTimersByTimeAsync(1);
    expect(s.sent).toEqual([["a:1", "b:2"]]);
    s.release();
    await Promise.all([one, two]);
    expect(q.stats).toEqual({ requests: 1, entries: 2 });
  });

  it("a request that would be full goes at once; what is left over lingers", async () => {
    fake();
    const s = heldSend();
    const q = new ProduceQueue(s.send, 25, 60_000);
    const all = ["1", "2", "3"].map((v) => q.push("a", [msg(v)], 10).done);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent).toEqual([["a:1,2"]]); // 30 bytes queued, 25 at most per request: no wait
    s.release();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(s.sent).toEqual([["a:1,2"]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sent).toEqual([["a:1,2"], ["a:3"]]);
    s.release();
    await Promise.all(all);
  });

  it("the linger counts from the oldest publish: those that waited through a request in flight go as soon as it is acknowledged", async () => {
    fake();
    const s = heldSend();
    const q = new ProduceQueue(s.send, 1000, 5);
    const one = q.push("a", [msg("1")], 10).done;
    await vi.advanceTimersByTimeAsync(5);
    expect(s.sent).toEqual([["a:1"]]);
    await vi.advanceTimersByTimeAsync(1);
    const two = q.push("a", [msg("2")], 10).done;
    await vi.advanceTimersByTimeAsync(19); // request 1 is in flight for 20 ms
    expect(s.sent).toEqual([["a:1"]]);
    s.release();
    await one;
    await vi.advanceTimersByTimeAsync(0); // no further wait: "2" is 19 ms old
    expect(s.sent).toEqual([["a:1"], ["a:2"]]);
    s.release();
    await two;
  });
});

describe("requestChunks", () => {
  const sized = (bytes: number) => ({ key: "k", value: new Uint8Array(bytes) });
  it("cuts a publish into requests of at most maxBytes (64 bytes of overhead per message), in order; a message larger than that goes alone", () => {
    const messages = [sized(400), sized(400), sized(400), sized(2000), sized(10)];
    const parts = requestChunks(messages, 1000);
    expect(parts.map((p) => p.messages)).toEqual([
      [messages[0], messages[1]],
      [messages[2]],
      [messages[3]],
      [messages[4]],
    ]);
    expect(parts.every((p) => p.messages.length === 1 || p.bytes <= 1000)).toBe(true);
    expect(parts.flatMap((p) => p.messages)).toEqual(messages);
    expect(requestChunks([])).toEqual([]);
  });
});
