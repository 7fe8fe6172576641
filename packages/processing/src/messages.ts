import {
  boundedPayload,
  type ConsumedBatch,
  type ConsumedMessage,
  type DeadLetter,
  type Position,
  RECORD_FORMAT_HEADER,
  recordPosition,
  splitRecord,
} from "@reeltime/connectors";
import { v7 as uuidv7 } from "uuid";
import { poisonOf, unreadable } from "./failures.ts";

const decoder = new TextDecoder();

/**
 * Nesting a decoded message may have. Events stay within a handful of levels (LIMITS.depth
 * inside the envelope); far deeper values overflow recursive serialisers (JSON.stringify,
 * structuredClone) further on, on every retry.
 */
export const MAX_DECODE_DEPTH = 64;

/**
 * Whether a parsed value nests deeper than `max` arrays/objects: walked without recursion,
 * depth first, so a deep chain is found after `max` steps and a flat event costs one visit per
 * value (its strings are not scanned).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return false;
  // Only objects and arrays are stacked, with their depth beside them (no pair allocated).
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop() as Record<string, unknown>;
    const d = depths.pop()!;
    if (d > max) return true;
    for (const k in v) {
      const child = v[k];
      if (child !== null && typeof child === "object") {
        values.push(child);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

/**
 * The characters `{` and `[` in a JSON text, counted up to just past `limit`. A value cannot nest
 * deeper than the brackets it opens, so at most `limit` of them (inside strings too) proves the
 * depth without walking the parsed value: that walk was a third of `decode`'s time on events.
 * Counted on the decoded text with String#indexOf, one call per bracket (a builtin, about 2.5x
 * cheaper than Buffer#indexOf on the bytes, which crosses into C++ per call; a loop over every
 * byte in JavaScript cost about twice as much again). The count is the same either way: UTF-8
 * never writes an ASCII byte inside a multi-byte character.
 */
function openers(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf("{"); i >= 0; i = text.indexOf("{", i + 1)) if (++n > limit) return n;
  for (let i = text.indexOf("["); i >= 0; i = text.indexOf("[", i + 1)) if (++n > limit) return n;
  return n;
}

/**
 * Parses a message's JSON value; undefined when it is not a JSON object, nests deeper than
 * `maxDepth`, or was marked as poison by the runtime (its handling failed because of its content).
 */
export function decode<T = Record<string, unknown>>(
  m: ConsumedMessage,
  opts: { maxDepth?: number } = {},
): T | undefined {
  if (poisonOf(m)) return undefined;
  try {
    // JSON.parse does not recurse: any depth parses, and the depth is checked on the value.
    const text = decoder.decode(m.value);
    const v = JSON.parse(text) as unknown;
    const maxDepth = opts.maxDepth ?? MAX_DECODE_DEPTH;
    if (maxDepth !== Number.POSITIVE_INFINITY && openers(text, maxDepth) > maxDepth && nestsDeeperThan(v, maxDepth))
      return undefined;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/** A message's JSON value whatever its depth (JSON.parse does not recurse); undefined if it is not JSON. */
function parsed(m: ConsumedMessage): unknown {
  try {
    return JSON.parse(decoder.decode(m.value)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A dead letter for something a processor could not handle, with the original payload (bounded:
 * see boundedPayload). For a message the runtime marked as poison, its reason and message win.
 */
export function deadLetter(
  stage: string,
  reason: string,
  message: string,
  source: ConsumedMessage,
  payload: unknown,
): DeadLetter {
  const poison = poisonOf(source);
  if (poison) {
    ({ reason, message } = poison);
    // Kept as the event it was (bounded below), so it is found by app and replayed after a fix.
    payload ??= parsed(source);
  }
  const p = (payload ?? {}) as Record<string, unknown>;
  return {
    dead_letter_id: uuidv7(),
    stage,
    reason,
    message: message.slice(0, 2000),
    topic: source.topic,
    ...(typeof p.app_id === "string" ? { app_id: p.app_id } : {}),
    ...(typeof p.event_id === "string" ? { event_id: p.event_id } : {}),
    ...(typeof p.event_type === "string" ? { event_type: p.event_type } : {}),
    payload: boundedPayload(payload ?? decoder.decode(source.value)),
    received_at: new Date().toISOString(),
  };
}

/**
 * The last offset per partition of these messages (kept in delivery order, so the last one
 * seen is the highest), as positions to commit through. Offsets stay opaque strings: Kinesis
 * positions are not plain numbers.
 */
export function lastPositions(messages: ConsumedMessage[]): { topic: string; partition: string; offset: string }[] {
  const last = new Map<string, { topic: string; partition: string; offset: string }>();
  for (const m of messages)
    last.set(`${m.topic}\u0000${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset });
  return [...last.values()];
}

/**
 * A batch with its batch records split: one message per event, whatever format each record was
 * written in (see splitRecord in @reeltime/connectors), so processors see events only. A record
 * that cannot be read (a format this version does not know, a batch that is not a JSON array)
 * stays one message, marked so that the processor dead-letters it with the reason. A batch
 * without batch records is returned as it is.
 */
export function splitBatch(batch: ConsumedBatch): ConsumedBatch {
  let out: ConsumedMessage[] | undefined;
  const messages = batch.messages;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.headers[RECORD_FORMAT_HEADER] === undefined) {
      out?.push(m);
      continue;
    }
    out ??= messages.slice(0, i);
    const content = splitRecord(m);
    if ("messages" in content) for (const e of content.messages) out.push(e);
    else out.push(unreadable(m, content.unreadable));
  }
  return out ? { ...batch, messages: out } : batch;
}

/**
 * Positions a processor commits, as the bus takes them: an event of a batch record is committed
 * as its record once the record's last event is (until then, as the position before the record;
 * see recordPosition in @reeltime/connectors).
 */
export function busPositions(positions: readonly Position[]): Position[] {
  const out: Position[] = [];
  for (const p of positions) {
    if (!p.offset.includes("#")) {
      out.push(p);
      continue;
    }
    const offset = recordPosition(p.offset);
    if (offset !== undefined) out.push({ ...p, offset });
  }
  return out;
}
