import { describe, expect, it } from "vitest";
import { EVENT_TYPES, exampleEvent, LIMITS, validateBatch, validateEvent } from "../src/index.ts";

const now = new Date("2026-11-22T12:00:00.000Z");
const valid = (type: Parameters<typeof exampleEvent>[0]) => exampleEvent(type, { now }) as Record<string, unknown>;

/** Asserts the event is rejected with exactly this pointer and reason among its errors. */
function rejects(event: unknown, pointer: string, reason: string) {
  const r = validateEvent(event, 0, { now });
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.errors.map((e) => [e.pointer, e.reason])).toContainEqual([pointer, reason]);
  for (const e of r.errors) expect(e.message.length).toBeGreaterThan(5);
}

describe("every event type", () => {
  it.each(EVENT_TYPES)("%s: the example validates", (type) => {
    const r = validateEvent(valid(type), 0, { now });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each(EVENT_TYPES)("%s: a missing event_id is named", (type) => {
    const { event_id: _, ...rest } = valid(type);
    rejects(rest, "/event_id", "required");
  });

  it.each(EVENT_TYPES)("%s: an unknown field is named", (type) => {
    rejects({ ...valid(type), colour: "red" }, "/colour", "unknown_field");
  });

  it.each(EVENT_TYPES)("%s: a wrongly typed seq is named", (type) => {
    rejects({ ...valid(type), seq: "7" }, "/seq", "type");
  });
});

describe("envelope rules", () => {
  const base = () => valid("playback.rebuffer_end");

  it("rejects unknown types and lists where to look", () => {
    const r = validateEvent({ ...base(), event_type: "playback.explode" }, 0, { now });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]).toMatchObject({ pointer: "/event_type", reason: "unknown_type" });
      expect(r.errors[0]!.message).toContain("reeltime events list");
    }
  });

  it("rejects malformed ids", () => {
    rejects({ ...base(), event_id: "not-a-uuid" }, "/event_id", "pattern");
    rejects({ ...base(), event_id: "0192f3a0-7c1e-4d2a-9b1c-3e4f5a6b7c8d" }, "/event_id", "pattern"); // v4, not v7
    rejects({ ...base(), view_id: "" }, "/view_id", "too_short");
    rejects({ ...base(), view_id: "has spaces" }, "/view_id", "pattern");
    rejects({ ...base(), video: { id: "a/b" } }, "/video/id", "pattern");
  });

  it("rejects missing family context", () => {
    const { view_id: _, ...noView } = base();
    rejects(noView, "/view_id", "required");
    const job = valid("job.completed");
    rejects({ ...job, job: { status: "completed" } }, "/job/id", "required");
  });

  it("rejects strings and maps over their limits", () => {
    rejects({ ...base(), video: { id: "v1", title: "x".repeat(LIMITS.shortText + 1) } }, "/video/title", "too_long");
    const attributes = Object.fromEntries(Array.from({ length: LIMITS.attributes + 1 }, (_, i) => [`k${i}`, i]));
    rejects({ ...base(), attributes }, "/attributes", "too_many_keys");
    rejects({ ...base(), attributes: { Bad_Key: 1 } }, "/attributes/Bad_Key", "key");
    rejects({ ...base(), attributes: { nested: { a: 1 } } }, "/attributes/nested", "type");
  });

  it("rejects enum and range violations", () => {
    rejects({ ...valid("playback.error"), error: { severity: "catastrophic", code: "X" } }, "/error/severity", "enum");
    rejects({ ...valid("playback.milestone"), percent: 33 }, "/percent", "enum");
    rejects({ ...base(), playhead_ms: -5 }, "/playhead_ms", "range");
    rejects({ ...base(), sample_rate: 0 }, "/sample_rate", "range");
  });

  it("rejects objects nested too deep", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < LIMITS.depth + 2; i++) deep = { d: deep };
    const r = validateEvent({ ...base(), attributes: deep }, 0, { now });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.reason).toBe("too_deep");
  });

  it("rejects prototype-polluting keys wherever they are", () => {
    const polluted = JSON.parse(`{"video": {"id": "v1", "__proto__": {"admin": true}}}`) as Record<string, unknown>;
    rejects({ ...base(), ...polluted }, "/video/__proto__", "forbidden_key");
    rejects({ ...base(), attributes: { constructor: "x" } }, "/attributes/constructor", "forbidden_key");
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("points at a structural problem through arrays and escaped keys, each problem once", () => {
    const attributes = JSON.parse(`{"a/b~c": [{"ok": 1}, {"__proto__": 1, "constructor": 2}]}`) as Record<
      string,
      unknown
    >;
    const r = validateEvent({ ...base(), attributes }, 0, { now });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => [e.pointer, e.reason])).toEqual([
        ["/attributes/a~1b~0c/1/__proto__", "forbidden_key"],
        ["/attributes/a~1b~0c/1/constructor", "forbidden_key"],
      ]);
    let deep: unknown = 1;
    for (let i = 0; i < LIMITS.depth + 2; i++) deep = [deep];
    const d = validateEvent({ ...base(), attributes: { x: deep } }, 0, { now });
    expect(d.ok).toBe(false);
    if (!d.ok)
      expect(d.errors).toEqual([
        {
          pointer: `/attributes/x${"/0".repeat(LIMITS.depth - 1)}`,
          reason: "too_deep",
          message: `objects nest deeper than ${LIMITS.depth} levels`,
        },
      ]);
  });

  it("rejects timestamps absurdly far in the past or future, and malformed ones", () => {
    rejects({ ...base(), client_ts: "2026-11-25T12:00:00.000Z" }, "/client_ts", "timestamp_future");
    rejects({ ...base(), client_ts: "2020-01-01T00:00:00.000Z" }, "/client_ts", "timestamp_past");
    rejects({ ...base(), client_ts: "yesterday" }, "/client_ts", "format");
    rejects({ ...base(), client_ts: "2026-11-22T12:00:00" }, "/client_ts", "format"); // no zone
    expect(validateEvent({ ...base(), client_ts: "2026-11-22T18:00:00.000Z" }, 0, { now }).ok).toBe(true);
  });

  it("reports every problem of one event, not only the first", () => {
    const r = validateEvent({ ...base(), seq: -1, playhead_ms: "x", colour: 1 }, 0, { now });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.pointer).sort()).toEqual(["/colour", "/playhead_ms", "/seq"]);
  });

  it("answers non-objects plainly", () => {
    for (const v of [null, 3, "x", [1]]) {
      const r = validateEvent(v, 0, { now });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]).toMatchObject({ pointer: "", reason: "type" });
    }
  });
});

describe("batches", () => {
  it("validates each event on its own and counts them", () => {
    const good = valid("click");
    const r = validateBatch({ events: [good, { ...good, seq: "x" }, 42] }, { now });
    expect(r.batchErrors).toEqual([]);
    expect([r.accepted, r.rejected]).toEqual([1, 2]);
    expect(r.results.map((x) => x.ok)).toEqual([true, false, false]);
    expect(r.results[1]).toMatchObject({ index: 1, event_id: good.event_id, event_type: "click" });
  });

  it("accepts a bare array", () => {
    expect(validateBatch([valid("job.created")], { now }).accepted).toBe(1);
  });

  it("refuses what is not a batch, an empty one and an oversized one", () => {
    expect(validateBatch({ foo: 1 }).batchErrors[0]?.reason).toBe("not_a_batch");
    expect(validateBatch([]).batchErrors[0]?.reason).toBe("empty");
    const many = Array.from({ length: LIMITS.batchEvents + 1 }, () => valid("click"));
    expect(validateBatch(many).batchErrors[0]).toMatchObject({ reason: "too_many_events", pointer: "/events" });
  });
});
