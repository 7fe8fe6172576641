import type { ConsumedMessage } from "@reeltime/connectors";
import { TOPICS, validateDeadLetter } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { deadLetter } from "../src/messages.ts";

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

describe("dead letters", () => {
  it("a processor's letter, for a payload that is JSON, one that is not and one too large to keep, is a record of the contract", () => {
    const json = deadLetter("indexer", "rejected_by_store", "mapping refused it", message('{"a":1}'), {
      a: 1,
      app_id: "shop",
      event_id: "e-1",
      event_type: "playback.play",
    });
    const text = deadLetter("sessionizer", "undecodable", "not JSON", message("{nope"), undefined);
    const big = deadLetter("archiver", "too_large", "x".repeat(5000), message("{}"), { s: "y".repeat(100_000) });
    expect(validateDeadLetter(json)).toEqual([]);
    expect(validateDeadLetter(text)).toEqual([]);
    expect(validateDeadLetter(big)).toEqual([]);
    expect(json).toMatchObject({
      stage: "indexer",
      reason: "rejected_by_store",
      topic: TOPICS.playback,
      app_id: "shop",
    });
    // And a letter missing its reason is not.
    const { reason: _r, ...noReason } = json;
    expect(validateDeadLetter(noReason).map((i) => i.pointer)).toContain("/reason");
  });
});
