import type { BusMessage } from "@reeltime/ports";
import { messageBytes } from "./limits.ts";

/** Bytes per produce request: one record batch per partition stays under a broker's max.message.bytes (1 MB). */
export const REQUEST_BYTES = 900_000;

/**
 * One publish's messages cut into produce-request-sized chunks (at most `maxBytes` each, counting
 * 64 bytes of record overhead per message; a message larger than that goes alone), in order:
 * what each Kafka adapter queues on its ProduceQueue.
 */
export function requestChunks(
  messages: BusMessage[],
  maxBytes = REQUEST_BYTES,
): { messages: BusMessage[]; bytes: number }[] {
  const out: { messages: BusMessage[]; bytes: number }[] = [];
  let cur: BusMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m) + 64;
    if (cur.length > 0 && bytes + size > maxBytes) {
      out.push({ messages: cur, bytes });
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length > 0) out.push({ messages: cur, bytes });
  return out;
}

/** One topic's messages of a produce request, in the driver's own message type. */
export interface TopicMessages<M = { key?: unknown; value?: unknown }> {
  topic: string;
  messages: M[];
}

interface Entry<M> {
  /** When it was queued (performance.now()), for the linger. */
  at: number;
  topic: string;
  messages: M[];
  bytes: number;
  abandoned: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces concurrent publishes into one produce request (the Kafka adapters' producers; any
 * driver's message type). With an idempotent producer only
 * one request is in flight, so publishes that arrive while it waits for its acks are queued
 * and go out together in the next request (up to `maxBytes`), in arrival order: every
 * publish still resolves only once its own messages were acknowledged, and a request that
 * fails rejects every publish it carried. A request that would not be full waits until its
 * oldest publish is `lingerMs` old (REELTIME_KAFKA_LINGER_MS, 5 ms by default as the Java
 * producer's linger.ms since Kafka 4.0): publishes that already waited that long behind a
 * request in flight go as soon as it is acknowledged, a full request goes at once. On a
 * 2-core machine at 140k events/s, 5 ms took the broker's CPU per event from about 1.6 to
 * 0.9 µs (fewer, larger requests; docs/benchmarks.md). 0 sends a lone publish at once.
 */
export class ProduceQueue<M = { key?: unknown; value?: unknown }> {
  readonly #send: (batch: TopicMessages<M>[]) => Promise<void>;
  readonly #maxBytes: number;
  readonly #lingerMs: number;
  #queue: Entry<M>[] = [];
  #queuedBytes = 0;
  /** Ends the current linger early (a request's worth of bytes is waiting). */
  #wake: (() => void) | null = null;
  #running = false;
  /** Produce requests sent, and publishes they carried (for tests and metrics). */
  readonly stats = { requests: 0, entries: 0 };

  constructor(send: (batch: TopicMessages<M>[]) => Promise<void>, maxBytes: number, lingerMs = 0) {
    this.#send = send;
    this.#maxBytes = maxBytes;
    this.#lingerMs = lingerMs;
  }

  /**
   * Queues one chunk (at most `maxBytes`) of a topic's messages. `abandon` drops it if it was
   * not taken into a request yet (the caller gave up waiting).
   */
  push(topic: string, messages: M[], bytes: number): { done: Promise<void>; abandon(): void } {
    let entry!: Entry<M>;
    const done = new Promise<void>((resolve, reject) => {
      entry = { at: performance.now(), topic, messages, bytes, abandoned: false, resolve, reject };
    });
    this.#queue.push(entry);
    this.#queuedBytes += bytes;
    if (this.#queuedBytes >= this.#maxBytes) this.#wake?.();
    void this.#drain();
    return {
      done,
      abandon: () => {
        entry.abandoned = true;
      },
    };
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        // Linger: a request that would not be full waits until its oldest publish is lingerMs old.
        const wait = (this.#queue[0] as Entry<M>).at + this.#lingerMs - performance.now();
        if (wait >= 1 && this.#queuedBytes < this.#maxBytes) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.#wake?.(), wait);
            this.#wake = () => {
              clearTimeout(timer);
              this.#wake = null;
              resolve();
            };
          });
          continue;
        }
        const taken: Entry<M>[] = [];
        let bytes = 0;
        while (this.#queue.length > 0) {
          const next = this.#queue[0] as Entry<M>;
          if (!next.abandoned && taken.length > 0 && bytes + next.bytes > this.#maxBytes) break;
          this.#queue.shift();
          this.#queuedBytes -= next.bytes;
          if (next.abandoned) continue;
          taken.push(next);
          bytes += next.bytes;
        }
        if (taken.length === 0) continue;
        const byTopic = new Map<string, M[]>();
        for (const e of taken) {
          const list = byTopic.get(e.topic);
          if (list) list.push(...e.messages);
          else byTopic.set(e.topic, [...e.messages]);
        }
        this.stats.requests++;
        this.stats.entries += taken.length;
        try {
          await this.#send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
          for (const e of taken) e.resolve();
        } catch (err) {
          for (const e of taken) e.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
