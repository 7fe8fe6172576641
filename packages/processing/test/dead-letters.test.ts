import type { Bus, ConsumedMessage } from "@reeltime/connectors";
import { TOPICS, validateDeadLetter } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { deadLetter, publishDeadLetters } from "../src/messages.ts";

const message = (value: string): ConsumedMessage =>
  ({
    topic: TOPICS.playback,
    partition: "0",
    offset: "41",
    key: "view-1",
    value: new TextEncoder().encode(value),
    headers: {},
    timestamp: Date.parse("2026-12-04T10:00:00.000Z"),
  }) as ConsumedMessage;

/** A bus that keeps what is published, and can be told never to answer. */
function recordingBus(hang = false) {
  const sent: { topic: string; key: string; value: string; headers?: Record<string, string> }[] = [];
  const bus = {
    publish: (topic: string, messages: { key: string; value: Uint8Array; headers?: Record<string, string> }[]) => {
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
  return { bus, sent };
}

describe("dead letters", () => {
  it("a processor's letter, for a payload that is JSON and for one that is not, is a record of the contract", () => {
    const json = deadLetter("indexer", "rejected_by_store", "mapping refused it", message('{"a":1}'), { a: 1 });
    const text = deadLetter("sessionizer", "undecodable", "not JSON", message("{nope"), undefined);
    expect(validateDeadLetter(json)).toEqual([]);
    expect(validateDeadLetter(text)).toEqual([]);
    expect(json).toMatchObject({ stage: "indexer", reason: "rejected_by_store", topic: TOPICS.playback });
    // And a letter missing its reason is not.
    const { reason: _r, ...noReason } = json;
    expect(validateDeadLetter(noReason).map((i) => i.pointer)).toContain("/reason");
  });
});
