import { type DeadLetter, TOPICS } from "@reeltime/events";
import type { Bus } from "@reeltime/ports";
import { describe, expect, it } from "vitest";
import { publishDeadLetters } from "../../src/bus/dead-letters.ts";

/** A bus that keeps what is published, and can be told never to answer. */
function recordingBus(hang = false) {
  const sent: { topic: string; key: string; value: string; headers?: Record<string, string> }[] = [];
  let calls = 0;
  const bus = {
    publish: (topic: string, messages: { key: string; value: Uint8Array; headers?: Record<string, string> }[]) => {
      calls++;
      for (const m of messages)
        sent.push({
          topic,
          key: m.key,
          value: new TextDecoder().decode(m.value),
          ...(m.headers ? { headers: m.headers } : {}),
        });
      return hang ? new Promise<void>(() => undefined) : Promise.resolve();
    },
  } as unknown as Bus;
  return { bus, sent, calls: () => calls };
}

const letter: DeadLetter = {
  dead_letter_id: "0190f5a0-0000-7000-8000-000000000001",
  stage: "indexer",
  reason: "rejected_by_store",
  message: "mapping refused it",
  topic: TOPICS.playback,
  payload: { a: 1 },
  received_at: "2026-12-04T10:00:00.000Z",
};

describe("publishDeadLetters", () => {
  it("one publish to the dead-letter topic, keyed by app, else by stage; headers only when given", async () => {
    const a = recordingBus();
    await publishDeadLetters(a.bus, [letter, { ...letter, app_id: "shop" }], { headers: { schema_version: "1.0" } });
    expect(a.calls()).toBe(1);
    expect(a.sent.map((s) => [s.topic, s.key])).toEqual([
      [TOPICS.deadLetter, "indexer"],
      [TOPICS.deadLetter, "shop"],
    ]);
    expect(a.sent[0]!.headers).toEqual({ schema_version: "1.0" });
    expect(JSON.parse(a.sent[1]!.value)).toEqual({ ...letter, app_id: "shop" });

    const b = recordingBus();
    await publishDeadLetters(b.bus, [letter]);
    expect(b.sent[0]).not.toHaveProperty("headers");
  });

  it("nothing to send publishes nothing; a bus that does not answer fails after the timeout", async () => {
    const hung = recordingBus(true);
    await publishDeadLetters(hung.bus, []);
    await publishDeadLetters(hung.bus, [], { timeoutMs: 50 });
    expect(hung.calls()).toBe(0);
    const started = Date.now();
    await expect(publishDeadLetters(hung.bus, [letter], { timeoutMs: 50 })).rejects.toMatchObject({
      code: "REELTIME_ERR_BUS_UNAVAILABLE",
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a bus error is the caller's", async () => {
    const failing = {
      publish: () => Promise.reject(Object.assign(new Error("down"), { code: "REELTIME_ERR_BUS_UNAVAILABLE" })),
    } as unknown as Bus;
    await expect(publishDeadLetters(failing, [letter])).rejects.toThrow("down");
    await expect(publishDeadLetters(failing, [letter], { timeoutMs: 1000 })).rejects.toThrow("down");
  });
});
