import type { BusMessage } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";

/**
 * The largest message every driver accepts: below Kafka's default `max.message.bytes`
 * (1,048,588) and Kinesis' 1 MiB per record (data + partition key), with room for framing.
 */
export const MAX_MESSAGE_BYTES = 1_000_000;

/**
 * Bytes a message occupies: key, value, header names and values (UTF-8). Counted, not encoded:
 * it runs for every message of every publish (and again in the Kafka adapter's chunking).
 */
export function messageBytes(message: BusMessage): number {
  let n = Buffer.byteLength(message.key, "utf8") + message.value.length;
  const headers = message.headers;
  if (headers)
    for (const name in headers) n += Buffer.byteLength(name, "utf8") + Buffer.byteLength(headers[name]!, "utf8");
  return n;
}

/** Rejects the whole publish before anything is sent when one message is too large. */
export function checkSizes(topic: string, messages: BusMessage[], max = MAX_MESSAGE_BYTES): void {
  for (const [i, m] of messages.entries()) {
    const size = messageBytes(m);
    if (size > max) {
      throw new ReeltimeError(
        "REELTIME_ERR_BUS_MESSAGE_TOO_LARGE",
        `message ${i} (key "${m.key.slice(0, 64)}") to topic ${topic} is ${size} bytes, more than the ${max} a bus message may hold: store large payloads in the archive and publish a reference`,
      );
    }
  }
}

/** Publishing to a bus after shutdown() is a programming error, not an outage. */
export function stoppedError(driver: string): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_BUS_STOPPED", `the ${driver} bus was shut down: create a new one`);
}
