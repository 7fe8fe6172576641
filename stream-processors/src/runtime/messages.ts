import { type Bus, boundedPayload, type ConsumedMessage, type DeadLetter } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { v7 as uuidv7 } from "uuid";
import { poisonOf } from "./failures.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Nesting a decoded message may have. Events stay within a handful of levels (LIMITS.depth
 * inside the envelope); far deeper values overflow recursive serialisers (JSON.stringify,
 * structuredClone) further on, on every retry.
 */
export const MAX_DECODE_DEPTH = 64;

/**
 * Whether JSON text nests deeper than `max` arrays/objects. One pass over the text, no
 * recursion, brackets inside strings ignored.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
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
    const text = decoder.decode(m.value);
    const maxDepth = opts.maxDepth ?? MAX_DECODE_DEPTH;
    if (text.length > maxDepth && maxDepth !== Number.POSITIVE_INFINITY && nestsDeeperThan(text, maxDepth))
      return undefined;
    const v = JSON.parse(text) as unknown;
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

/** Publishes dead letters to the dead-letter stream; resolves once the bus acknowledged them. */
export async function publishDeadLetters(bus: Bus, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await bus.publish(
    TOPICS.deadLetter,
    letters.map((l) => ({ key: l.app_id ?? l.stage, value: encoder.encode(JSON.stringify(l)) })),
  );
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
