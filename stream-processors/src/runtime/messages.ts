import { type Bus, boundedPayload, type ConsumedMessage, type DeadLetter } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { v7 as uuidv7 } from "uuid";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Parses a message's JSON value; undefined when it is not a JSON object. */
export function decode<T = Record<string, unknown>>(m: ConsumedMessage): T | undefined {
  try {
    const v = JSON.parse(decoder.decode(m.value)) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/** A dead letter for something a processor could not handle, with the original payload (bounded: see boundedPayload). */
export function deadLetter(
  stage: string,
  reason: string,
  message: string,
  source: ConsumedMessage,
  payload: unknown,
): DeadLetter {
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
