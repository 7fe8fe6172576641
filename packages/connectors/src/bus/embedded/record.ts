import { crc32 } from "node:zlib";
import type { BusMessage } from "@reeltime/ports";

/**
 * One record in a segment file, little-endian:
 *
 *   u32 body length | u32 CRC-32 of the body | body
 *   body = f64 timestamp | u32 key length | key | u32 headers length | headers (JSON) | value
 *
 * The CRC lets recovery tell a torn write at the tail (crash mid-append) from a record.
 */
export const RECORD_OVERHEAD = 8;
const BODY_FIXED = 16;

export interface StoredRecord {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  timestamp: number;
}

export function encodeRecord(message: BusMessage, timestamp: number): Buffer {
  const key = Buffer.from(message.key, "utf8");
  const headers = Buffer.from(JSON.stringify(message.headers ?? {}), "utf8");
  const bodyLength = BODY_FIXED + key.length + headers.length + message.value.length;
  const buf = Buffer.allocUnsafe(RECORD_OVERHEAD + bodyLength);
  buf.writeUInt32LE(bodyLength, 0);
  let at = RECORD_OVERHEAD;
  buf.writeDoubleLE(timestamp, at);
  at += 8;
  buf.writeUInt32LE(key.length, at);
  at += 4;
  at += key.copy(buf, at);
  buf.writeUInt32LE(headers.length, at);
  at += 4;
  at += headers.copy(buf, at);
  buf.set(message.value, at);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_OVERHEAD)), 4);
  return buf;
}

export function decodeRecord(buf: Buffer, at: number): StoredRecord {
  const bodyLength = buf.readUInt32LE(at);
  const end = at + RECORD_OVERHEAD + bodyLength;
  let p = at + RECORD_OVERHEAD;
  const timestamp = buf.readDoubleLE(p);
  p += 8;
  const keyLength = buf.readUInt32LE(p);
  p += 4;
  const key = buf.toString("utf8", p, p + keyLength);
  p += keyLength;
  const headersLength = buf.readUInt32LE(p);
  p += 4;
  const headers = JSON.parse(buf.toString("utf8", p, p + headersLength)) as Record<string, string>;
  p += headersLength;
  return { key, value: Uint8Array.prototype.slice.call(buf, p, end), headers, timestamp };
}

/**
 * Positions of the intact records in `buf`, stopping at the first torn or corrupt one.
 * `end` is where the intact prefix ends: anything after it was never acknowledged.
 */
export function scanRecords(buf: Buffer): { positions: number[]; end: number } {
  const positions: number[] = [];
  let at = 0;
  while (at + RECORD_OVERHEAD <= buf.length) {
    const bodyLength = buf.readUInt32LE(at);
    const end = at + RECORD_OVERHEAD + bodyLength;
    if (bodyLength < BODY_FIXED || end > buf.length) break;
    if (crc32(buf.subarray(at + RECORD_OVERHEAD, end)) !== buf.readUInt32LE(at + 4)) break;
    positions.push(at);
    at = end;
  }
  return { positions, end: at };
}
