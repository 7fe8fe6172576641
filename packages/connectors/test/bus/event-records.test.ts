import type { ConsumedMessage } from "@reeltime/ports";
import { describe, expect, it } from "vitest";
import {
  BATCH_V1,
  batchValue,
  encodeEventRecords,
  endsRecord,
  packEventRecords,
  RECORD_FORMAT_HEADER,
  recordPosition,
  splitRecord,
} from "../../src/bus/event-records.ts";
import { MAX_MESSAGE_BYTES, messageBytes } from "../../src/bus/limits.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

const ev = (id: string, extra: Record<string, unknown> = {}) => ({ event_id: id, view_id: "v1", ...extra });
const jsons = (...events: object[]) => events.map((e) => JSON.stringify(e));

const consumed = (value: Uint8Array | string, headers: Record<string, string> = {}, offset = "7"): ConsumedMessage => ({
  topic: "reeltime.playback",
  partition: "1",
  offset,
  key: "v1",
  value: typeof value === "string" ? enc.encode(value) : value,
  headers,
  timestamp: 1_700_000_000_000,
});

const eventsOf = (m: ConsumedMessage) => {
  const content = splitRecord(m);
  if (!("messages" in content)) throw new Error(content.unreadable.message);
  return content.messages;
};

describe("batch-v1 records", () => {
  it("one record per key, a JSON array any reader takes whole, one event per line", () => {
    const byKey = new Map([
      ["v1", jsons(ev("a", { note: 'line\nfeed, "quoted" ] }' }), ev("b"), ev("c", { title: "Été à Zürich 🎬" }))],
      ["v2", jsons(ev("d", { view_id: "v2" }))],
    ]);
    const headers = { schema_version: "1", "content-type": "application/json" };
    const records = encodeEventRecords(byKey, "batch-v1", headers, MAX_MESSAGE_BYTES);
    expect(records.map((r) => r.key)).toEqual(["v1", "v2"]);
    for (const r of records) expect(r.headers).toEqual({ ...headers, [RECORD_FORMAT_HEADER]: BATCH_V1 });
    const text = dec.decode(records[0]!.value);
    expect(text.split("\n")).toHaveLength(3);
    expect(JSON.parse(text)).toEqual([
      ev("a", { note: 'line\nfeed, "quoted" ] }' }),
      ev("b"),
      ev("c", { title: "Été à Zürich 🎬" }),
    ]);
    expect(JSON.parse(dec.decode(records[1]!.value))).toEqual([ev("d", { view_id: "v2" })]);
  });

  it("the event format is one record per event, without the format header", () => {
    const byKey = new Map([["v1", jsons(ev("a"), ev("b"))]]);
    const records = encodeEventRecords(byKey, "event", { schema_version: "1" }, MAX_MESSAGE_BYTES);
    expect(records.map((r) => JSON.parse(dec.decode(r.value)))).toEqual([ev("a"), ev("b")]);
    expect(records.every((r) => r.headers?.[RECORD_FORMAT_HEADER] === undefined)).toBe(true);
  });

  it("a key's events too many for one record fill as few as fit the bus limit, in order", () => {
    // Multi-byte text: the character count alone would under-count the bytes.
    const events = Array.from({ length: 40 }, (_, i) => ev(`e${i}`, { text: "é🎬".repeat(300) }));
    const headers = { schema_version: "1" };
    const max = 20_000;
    const records = encodeEventRecords(new Map([["v1", jsons(...events)]]), "batch-v1", headers, max);
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect(messageBytes(r)).toBeLessThanOrEqual(max);
    const back = records.flatMap((r, i) => eventsOf(consumed(r.value, r.headers, String(i))));
    expect(back.map((m) => JSON.parse(dec.decode(m.value)))).toEqual(events);
  });

  it("an event larger than the limit gets a record of its own (the bus refuses it as too large)", () => {
    const big = ev("big", { text: "x".repeat(5000) });
    const records = encodeEventRecords(new Map([["v1", jsons(ev("a"), big, ev("b"))]]), "batch-v1", {}, 2000);
    expect(
      records.map((r) => (JSON.parse(dec.decode(r.value)) as { event_id: string }[]).map((e) => e.event_id)),
    ).toEqual([["a"], ["big"], ["b"]]);
  });
});

describe("splitRecord", () => {
  it("a record without the format header is one event, as it is", () => {
    const m = consumed(JSON.stringify(ev("a")), { schema_version: "1" });
    expect(eventsOf(m)).toEqual([m]);
  });

  it("a batch record gives each event as a view of its bytes, numbered <offset>#<index>/<count>, with the record's key, time and headers", () => {
    const headers = { schema_version: "1", traceparent: "00-abc-def-01", [RECORD_FORMAT_HEADER]: BATCH_V1 };
    const value = batchValue(jsons(ev("a"), ev("b", { s: "é" }), ev("c")));
    const out = eventsOf(consumed(value, headers, "41"));
    expect(out.map((m) => m.offset)).toEqual(["41#0/3", "41#1/3", "41#2/3"]);
    expect(out.map((m) => JSON.parse(dec.decode(m.value)))).toEqual([ev("a"), ev("b", { s: "é" }), ev("c")]);
    for (const m of out) {
      expect(m).toMatchObject({ topic: "reeltime.playback", partition: "1", key: "v1", timestamp: 1_700_000_000_000 });
      expect(m.headers).toEqual({ schema_version: "1", traceparent: "00-abc-def-01" });
      expect(m.value.buffer).toBe(value.buffer);
    }
  });

  it("an empty batch holds no event", () => {
    expect(eventsOf(consumed("[]", { [RECORD_FORMAT_HEADER]: BATCH_V1 }))).toEqual([]);
  });

  it("a batch written with another layout (pretty-printed, by hand) is read element by element", () => {
    const pretty = JSON.stringify([ev("a", { nested: [{ x: 1 }, { y: 2 }] }), ev("b")], null, 2);
    const out = eventsOf(consumed(pretty, { [RECORD_FORMAT_HEADER]: BATCH_V1 }, "3"));
    expect(out.map((m) => m.offset)).toEqual(["3#0/2", "3#1/2"]);
    expect(out.map((m) => JSON.parse(dec.decode(m.value)))).toEqual([
      ev("a", { nested: [{ x: 1 }, { y: 2 }] }),
      ev("b"),
    ]);
  });

  it("an element that is not an event stays an element of its own (a consumer dead-letters it alone)", () => {
    const out = eventsOf(
      consumed(`[${JSON.stringify(ev("a"))},\n42,\n${JSON.stringify(ev("b"))}]`, { [RECORD_FORMAT_HEADER]: BATCH_V1 }),
    );
    expect(out.map((m) => dec.decode(m.value))).toEqual([JSON.stringify(ev("a")), "42", JSON.stringify(ev("b"))]);
  });

  it("a batch that is not a JSON array, or a format this version does not know, cannot be read: the reason says which", () => {
    expect(splitRecord(consumed('{"event_id":"a"}', { [RECORD_FORMAT_HEADER]: BATCH_V1 }))).toEqual({
      unreadable: { reason: "not_json", message: expect.stringContaining("not a JSON array") },
    });
    expect(splitRecord(consumed("[{nope", { [RECORD_FORMAT_HEADER]: BATCH_V1 }))).toMatchObject({
      unreadable: { reason: "not_json" },
    });
    expect(splitRecord(consumed("[]", { [RECORD_FORMAT_HEADER]: "batch-v2" }))).toEqual({
      unreadable: { reason: "unknown_format", message: expect.stringContaining('"batch-v2"') },
    });
  });
});

describe("positions of events of a batch record", () => {
  it("the last event ends its record; a record of one event always does", () => {
    expect(endsRecord("41#2/3")).toBe(true);
    expect(endsRecord("41#1/3")).toBe(false);
    expect(endsRecord("41")).toBe(true);
    expect(endsRecord("4950:0")).toBe(true);
  });

  it("commits the record once its last event is processed, the position before it until then", () => {
    expect(recordPosition("41")).toBe("41");
    expect(recordPosition("41#2/3")).toBe("41");
    expect(recordPosition("41#1/3")).toBe("40");
    expect(recordPosition("0#0/2")).toBeUndefined();
    expect(recordPosition("123456789012345678901#0/2")).toBe("123456789012345678900");
    // Kinesis: <sequence>:<index in the adapter's own packing>.
    expect(recordPosition("4950:0#0/1")).toBe("4950:0");
    expect(recordPosition("4950:2#0/3")).toBe("4950:1");
    expect(recordPosition("4950:0#0/3")).toBeUndefined();
  });
});

describe("packed records (a worker thread's records in one buffer)", () => {
  const unpacked = (p: ReturnType<typeof packEventRecords>) =>
    p.records.map(([key, start, end]) => ({ key, value: dec.decode(p.bytes.subarray(start, end)) }));
  const encoded = (records: ReturnType<typeof encodeEventRecords>) =>
    records.map((r) => ({ key: r.key, value: dec.decode(r.value) }));
  const cases: [string, Map<string, string[]>, number][] = [
    [
      "ASCII only, several keys",
      new Map([
        ["v1", jsons(ev("a"), ev("b"))],
        ["v2", jsons(ev("c"))],
      ]),
      MAX_MESSAGE_BYTES,
    ],
    [
      "characters of two, three and four UTF-8 bytes before, between and after records",
      new Map([
        ["v1", jsons(ev("a", { title: "Café" }), ev("b"))],
        ["v2", jsons(ev("c", { title: "日本語 🎬" }))],
        ["v3", jsons(ev("d"))],
      ]),
      MAX_MESSAGE_BYTES,
    ],
    [
      "a key without events (an empty batch-v1 value)",
      new Map([
        ["v1", []],
        ["v2", jsons(ev("a"))],
      ]),
      MAX_MESSAGE_BYTES,
    ],
    [
      "one key split over several records",
      new Map([
        ["v1", jsons(...Array.from({ length: 30 }, (_, i) => ev(`e${i}`, { title: i % 7 === 0 ? "é" : "e" })))],
      ]),
      400,
    ],
  ];
  for (const [name, byKey, max] of cases)
    it(`the same records as encodeEventRecords, value for value: ${name}`, () => {
      for (const format of ["batch-v1", "event"] as const) {
        const packed = packEventRecords(byKey, format, { schema_version: "1" }, max);
        const expected = encodeEventRecords(byKey, format, { schema_version: "1" }, max);
        expect(unpacked(packed)).toEqual(encoded(expected));
        expect(packed.headers).toEqual(expected[0]?.headers);
        expect(packed.bytes.byteLength).toBe(expected.reduce((n, r) => n + r.value.byteLength, 0));
      }
    });
});
