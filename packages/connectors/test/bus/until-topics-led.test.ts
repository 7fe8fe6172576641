import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { untilTopicsLed } from "../../src/bus/backoff.ts";

describe("untilTopicsLed (both Kafka adapters' wait after creating topics)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks again while a topic is unknown, a partition has no leader or the ask fails, and returns once all are led", async () => {
    const answers: (() => Map<string, number[]>)[] = [
      () => {
        throw new Error("This server does not host this topic-partition");
      },
      () => new Map([["a", [0, 0]]]),
      () =>
        new Map([
          ["a", [0, 0]],
          ["b", [0, -1]],
        ]),
      () =>
        new Map([
          ["a", [0, 0]],
          ["b", [0, 0]],
        ]),
    ];
    let asked = 0;
    let done = false;
    const wait = untilTopicsLed(["a", "b"], async () => (answers[asked++] as () => Map<string, number[]>)(), 5000).then(
      () => {
        done = true;
      },
    );
    await vi.advanceTimersByTimeAsync(250);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await wait;
    expect(asked).toBe(4);
  });

  it("takes a topic with no partitions for not led yet", async () => {
    let asked = 0;
    const wait = untilTopicsLed(
      ["a"],
      async () => {
        asked++;
        return new Map([["a", asked < 3 ? [] : [0]]]);
      },
      5000,
    );
    await vi.advanceTimersByTimeAsync(300);
    await wait;
    expect(asked).toBe(3);
  });

  it("throws past the deadline (10 s at least), naming the topics and the last failed ask", async () => {
    const wait = untilTopicsLed(
      ["a", "b"],
      async () => {
        throw new Error("This server does not host this topic-partition");
      },
      1000,
    );
    const failed = expect(wait).rejects.toThrow(
      "topics a, b have no leader yet (This server does not host this topic-partition)",
    );
    await vi.advanceTimersByTimeAsync(9_000);
    let settled = false;
    void wait.catch(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_200);
    await failed;
  });
});
