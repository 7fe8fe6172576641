import { createHash } from "node:crypto";
import type { BusMessage } from "@reeltime/ports";

/**
 * Several messages with the same key packed into one Kinesis record, little-endian:
 *
 *   "RTB1" | u32 key length | key (UTF-8) | u32 count |
 *   count × ( u32 headers length | headers (JSON object) | u32 value length | value )
 *
 * Packing keeps small events under the 1,000 records/s per shard limit. Records that do not
 * start with the magic (written by other producers) are read as one message without headers.
 */
const MAGIC = Buffer.from("RTB1", "latin1");
/** Service limit per record: data plus partition key. */
export const RECORD_LIMIT = 1024 * 1024;

export interface Unpacked {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

/** Kinesis partition keys hold at most 256 characters; longer keys are hashed (the frame keeps the key). */
export function partitionKeyOf(key: string): string {
  return key.length > 0 && key.length <= 256 ? key : createHash("sha256").update(key).digest("hex");
}

interface Entry {
  headers: Buffer;
  value: Uint8Array;
}

const entryBytes = (e: Entry) => 8 + e.headers.length + e.value.length;

/**
 * Packs messages of one key into as few records as fit the record limit, in order. Throws
 * with the index of a message that cannot fit in a record of its own.
 */
export function pack(key: string, messages: BusMessage[]): { partitionKey: string; data: Buffer }[] {
  const partitionKey = partitionKeyOf(key);
  const keyBytes = Buffer.from(key, "utf8");
  const fixed = MAGIC.length + 4 + keyBytes.length + 4;
  const limit = RECORD_LIMIT - Buffer.byteLength(partitionKey, "utf8");
  const records: { partitionKey: string; data: Buffer }[] = [];
  let cur: Entry[] = [];
  let size = fixed;
  const flush = () => {
    if (cur.length === 0) return;
    const data = Buffer.allocUnsafe(size);
    let at = MAGIC.copy(data, 0);
    at = data.writeUInt32LE(keyBytes.length, at);
    at += keyBytes.copy(data, at);
    at = data.writeUInt32LE(cur.length, at);
    for (const e of cur) {
      at = data.writeUInt32LE(e.headers.length, at);
      at += e.headers.copy(data, at);
      at = data.writeUInt32LE(e.value.length, at);
      data.set(e.value, at);
      at += e.value.length;
    }
    records.push({ partitionKey, data });
    cur = [];
    size = fixed;
  };
  for (const m of messages) {
    const e: Entry = { headers: Buffer.from(JSON.stringify(m.headers ?? {}), "utf8"), value: m.value };
    if (fixed + entryBytes(e) > limit) {
      throw new RangeError(`a message of key "${key.slice(0, 64)}" does not fit in one Kinesis record`);
    }
    if (size + entryBytes(e) > limit) flush();
    cur.push(e);
    size += entryBytes(e);
  }
  flush();
  return records;
}

/** The messages of one record (one message for records from other producers). */
export function unpack(data: Uint8Array, partitionKey: string): Unpacked[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 12 || !buf.subarray(0, 4).equals(MAGIC)) {
    return [{ key: partitionKey, value: data, headers: {} }];
  }
  let at = 4;
  const keyLength = buf.readUInt32LE(at);
  at += 4;
  const key = buf.toString("utf8", at, at + keyLength);
  at += keyLength;
  const count = buf.readUInt32LE(at);
  at += 4;
  const out: Unpacked[] = [];
  for (let i = 0; i < count; i++) {
    const hl = buf.readUInt32LE(at);
    at += 4;
    const headers = JSON.parse(buf.toString("utf8", at, at + hl)) as Record<string, string>;
    at += hl;
    const vl = buf.readUInt32LE(at);
    at += 4;
    out.push({ key, headers, value: Uint8Array.prototype.slice.call(buf, at, at + vl) });
    at += vl;
  }
  return out;
}
