import type { BusMessage, ConsumedMessage } from "@reeltime/ports";

/**
 * How events are laid out in bus records. Two formats, told apart by one header:
 *
 * - `event` (no `reeltime-format` header, the format before batches): a record's value is one
 *   event's JSON.
 * - `batch-v1` (`reeltime-format: batch-v1`): a record's value holds the events of one key
 *   (one view, one app) from one request, in order, as a JSON array with one event per line:
 *
 *       [{"event_id":"…",…},
 *       {"event_id":"…",…},
 *       {"event_id":"…",…}]
 *
 *   Any JSON reader takes it whole (`kcat … | jq '.[]'`); a consumer splits it without parsing,
 *   since JSON.stringify never writes a raw line feed: line i is event i, with `[` before the
 *   first and `,` or `]` after each. A producer of batch-v1 writes exactly this layout.
 *
 * Consumers read both (a rolling upgrade has records of either on one partition); a producer
 * writes batch-v1 only once every consumer of the topic reads it (REELTIME_BUS_RECORD_FORMAT).
 * An event of a batch record is numbered `<record offset>#<index>/<count>` (see subOffset), the
 * way the Kinesis adapter numbers the messages it packs into one record (`<sequence>:<index>`).
 */
export const RECORD_FORMAT_HEADER = "reeltime-format";
export const BATCH_V1 = "batch-v1";
export const RECORD_FORMATS = ["batch-v1", "event"] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const COMMA = 0x2c;
const LF = 0x0a;
const BRACE_OPEN = 0x7b; // {
const BRACE_CLOSE = 0x7d; // }

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * The records of one topic's events: `byKey` holds each key's events as JSON texts, in order.
 * `event`: one record per event. `batch-v1`: one record per key, or as few as keep each record
 * within `maxBytes` (key, value and headers, as the bus counts them) when a key's events are
 * many; an event too large on its own gets a record of its own, which the bus then refuses as
 * too large (as it would in the `event` format). The bytes are built once per record.
 */
export function encodeEventRecords(
  byKey: ReadonlyMap<string, readonly string[]>,
  format: RecordFormat,
  headers: Record<string, string>,
  maxBytes: number,
): BusMessage[] {
  const { headers: recordHeaders, groups } = recordGroups(byKey, format, headers, maxBytes);
  return groups.map(([key, jsons]) => ({
    key,
    value: Buffer.from(format === "event" ? (jsons[0] as string) : batchText(jsons), "utf8"),
    headers: recordHeaders,
  }));
}

/** Records whose values share one buffer: each record's key and its value's byte range in `bytes`. */
export interface PackedRecords {
  headers: Record<string, string>;
  bytes: Uint8Array;
  records: [key: string, start: number, end: number][];
}

/**
 * The same records as {@link encodeEventRecords} (same layout, same split), with every value in one
 * exactly sized buffer: what a worker thread hands back to the thread that publishes (one copy,
 * one allocation); {@link unpackEventRecords} turns it into bus messages. Each event's text is
 * measured and written straight into the buffer, with the layout's brackets, commas and line
 * feeds between: no record's text, nor the whole, is ever built as a string.
 */
export function packEventRecords(
  byKey: ReadonlyMap<string, readonly string[]>,
  format: RecordFormat,
  headers: Record<string, string>,
  maxBytes: number,
): PackedRecords {
  const { headers: recordHeaders, groups } = recordGroups(byKey, format, headers, maxBytes);
  const batch = format !== "event";
  let total = 0;
  for (const [, jsons] of groups) {
    for (const j of jsons) total += byteLength(j);
    // `[` and `]` around a batch-v1 value, `,` and a line feed between its events: two per event
    // (two for `[]`).
    if (batch) total += 2 * Math.max(1, jsons.length);
  }
  // Its own ArrayBuffer (never the shared pool): cloning a view to another thread copies the whole buffer.
  const bytes = Buffer.allocUnsafeSlow(total);
  const records: PackedRecords["records"] = [];
  let at = 0;
  for (const [key, jsons] of groups) {
    const start = at;
    if (batch) bytes[at++] = OPEN;
    for (let i = 0; i < jsons.length; i++) {
      if (batch && i > 0) {
        bytes[at++] = COMMA;
        bytes[at++] = LF;
      }
      at += bytes.write(jsons[i] as string, at, "utf8");
    }
    if (batch) bytes[at++] = CLOSE;
    records.push([key, start, at]);
  }
  if (at !== total) throw new Error(`packed ${at} bytes of records into a buffer of ${total}`);
  return { headers: recordHeaders, bytes, records };
}

/** Bus messages over a packed buffer's bytes (views, no copy). */
export function unpackEventRecords(packed: PackedRecords): BusMessage[] {
  const { bytes, headers } = packed;
  return packed.records.map(([key, start, end]) => ({ key, value: bytes.subarray(start, end), headers }));
}

/**
 * Each record's key and the JSON texts of its events (`event`: one each), and the headers every
 * record of the format carries.
 */
function recordGroups(
  byKey: ReadonlyMap<string, readonly string[]>,
  format: RecordFormat,
  headers: Record<string, string>,
  maxBytes: number,
): { headers: Record<string, string>; groups: [string, readonly string[]][] } {
  const out: [string, readonly string[]][] = [];
  if (format === "event") {
    for (const [key, jsons] of byKey) for (const j of jsons) out.push([key, [j]]);
    return { headers, groups: out };
  }
  const batchHeaders = { ...headers, [RECORD_FORMAT_HEADER]: BATCH_V1 };
  let headerBytes = 0;
  for (const [n, v] of Object.entries(batchHeaders)) headerBytes += byteLength(n) + byteLength(v);
  for (const [key, jsons] of byKey) {
    const budget = maxBytes - byteLength(key) - headerBytes;
    // Three bytes per UTF-16 unit at most: when that fits, no event needs measuring.
    let upper = 2 * jsons.length;
    for (const j of jsons) upper += 3 * j.length;
    if (upper <= budget) {
      out.push([key, jsons]);
      continue;
    }
    let cur: string[] = [];
    let bytes = 0;
    for (const j of jsons) {
      const size = byteLength(j) + 2;
      if (cur.length > 0 && bytes + size > budget) {
        out.push([key, cur]);
        cur = [];
        bytes = 0;
      }
      cur.push(j);
      bytes += size;
    }
    if (cur.length > 0) out.push([key, cur]);
  }
  return { headers: batchHeaders, groups: out };
}

const batchText = (jsons: readonly string[]) => `[${jsons.join(",\n")}]`;

/** A batch-v1 value: the events' JSON texts, one per line, as one JSON array. */
export function batchValue(jsons: readonly string[]): Uint8Array {
  return Buffer.from(batchText(jsons), "utf8");
}

/**
 * The events of a batch-v1 value as views of its bytes (no copy, no parse), or undefined when
 * the value does not have the layout (each line one `{…}` object).
 */
function splitLines(value: Uint8Array): Uint8Array[] | undefined {
  const n = value.length;
  if (n < 2 || value[0] !== OPEN || value[n - 1] !== CLOSE) return undefined;
  if (n === 2) return [];
  const buf = Buffer.from(value.buffer, value.byteOffset, n);
  const out: Uint8Array[] = [];
  let start = 1;
  for (;;) {
    const lf = buf.indexOf(LF, start);
    const end = lf === -1 ? n - 1 : lf - 1;
    if (lf !== -1 && value[end] !== COMMA) return undefined;
    if (end - start < 2 || value[start] !== BRACE_OPEN || value[end - 1] !== BRACE_CLOSE) return undefined;
    out.push(value.subarray(start, end));
    if (lf === -1) return out;
    start = lf + 1;
  }
}

/** A value claiming batch-v1 without its layout (written by hand, pretty-printed): any JSON array, element by element. */
function parseArray(value: Uint8Array): Uint8Array[] | undefined {
  try {
    const v = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.length).toString("utf8")) as unknown;
    if (!Array.isArray(v)) return undefined;
    return v.map((e) => Buffer.from(JSON.stringify(e) ?? "null", "utf8"));
  } catch {
    // Not JSON, or too deep to write back: the record is read as one unreadable message.
    return undefined;
  }
}

/** What a consumed record holds: its events, or why it cannot be read (it goes to dead letters whole). */
export type RecordContent = { messages: ConsumedMessage[] } | { unreadable: { reason: string; message: string } };

/**
 * The events a consumed record holds, one message each: the record itself in the `event`
 * format; each event of a batch-v1 record, numbered `<offset>#<index>/<count>`, with the record's
 * key, timestamp and headers (less `reeltime-format`).
 */
export function splitRecord(m: ConsumedMessage): RecordContent {
  const format = m.headers[RECORD_FORMAT_HEADER];
  if (format === undefined) return { messages: [m] };
  if (format !== BATCH_V1)
    return {
      unreadable: {
        reason: "unknown_format",
        message: `a record in format "${format.slice(0, 64)}", which this consumer does not read (it reads ${RECORD_FORMATS.join(" and ")}): upgrade it, then replay the dead letters`,
      },
    };
  const values = splitLines(m.value) ?? parseArray(m.value);
  if (!values)
    return {
      unreadable: { reason: "not_json", message: "a batch-v1 record whose value is not a JSON array of events" },
    };
  const { [RECORD_FORMAT_HEADER]: _, ...headers } = m.headers;
  const count = values.length;
  return {
    messages: values.map((value, i) => ({ ...m, offset: subOffset(m.offset, i, count), value, headers })),
  };
}

/** The offset of event `index` of `count` in the batch record at `offset`. */
export const subOffset = (offset: string, index: number, count: number) => `${offset}#${index}/${count}`;

/** An offset split into the record's own and, for an event of a batch record, its index and count. */
export function parseSubOffset(offset: string): { record: string; index?: number; count?: number } {
  const hash = offset.indexOf("#");
  if (hash < 0) return { record: offset };
  const slash = offset.indexOf("/", hash);
  return {
    record: offset.slice(0, hash),
    index: Number(offset.slice(hash + 1, slash < 0 ? undefined : slash)),
    ...(slash < 0 ? {} : { count: Number(offset.slice(slash + 1)) }),
  };
}

/** Whether a message with this offset is the last of its record (always, for a record of one event). */
export function endsRecord(offset: string): boolean {
  const p = parseSubOffset(offset);
  return p.index === undefined || p.count === undefined || p.index === p.count - 1;
}

/**
 * The bus position to commit for "processed through `offset`": the record's own offset once its
 * last event is processed; before that, the position just before the record (so the record is
 * delivered again whole after a restart, and what was processed of it is met again as a
 * duplicate), or undefined when that position cannot be named: the first message of a Kinesis
 * record (the next commit covers it). Kafka and embedded offsets are integers; Kinesis ones
 * `<sequence>:<index>`.
 */
export function recordPosition(offset: string): string | undefined {
  const p = parseSubOffset(offset);
  if (p.index === undefined || endsRecord(offset)) return p.record;
  if (/^\d+$/.test(p.record)) return p.record === "0" ? undefined : String(BigInt(p.record) - 1n);
  const kinesis = /^(\d+):(\d+)$/.exec(p.record);
  if (kinesis && Number(kinesis[2]) > 0) return `${kinesis[1]}:${Number(kinesis[2]) - 1}`;
  return undefined;
}
