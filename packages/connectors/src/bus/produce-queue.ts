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
 * fails rejects every publish it carried. Nothing waits for a timer: a lone publish is sent
 * at once.
 */
export class ProduceQueue<M = { key?: unknown; value?: unknown }> {
  readonly #send: (batch: TopicMessages<M>[]) => Promise<void>;
  readonly #maxBytes: number;
  #queue: Entry<M>[] = [];
  #running = false;
  /** Produce requests sent, and publishes they carried (for tests and metrics). */
  readonly stats = { requests: 0, entries: 0 };

  constructor(send: (batch: TopicMessages<M>[]) => Promise<void>, maxBytes: number) {
    this.#send = send;
    this.#maxBytes = maxBytes;
  }

  /**
   * Queues one chunk (at most `maxBytes`) of a topic's messages. `abandon` drops it if it was
   * not taken into a request yet (the caller gave up waiting).
   */
  push(topic: string, messages: M[], bytes: number): { done: Promise<void>; abandon(): void } {
    let entry!: Entry<M>;
    const done = new Promise<void>((resolve, reject) => {
      entry = { topic, messages, bytes, abandoned: false, resolve, reject };
    });
    this.#queue.push(entry);
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
        const taken: Entry<M>[] = [];
        let bytes = 0;
        while (this.#queue.length > 0) {
          const next = this.#queue[0] as Entry<M>;
          if (!next.abandoned && taken.length > 0 && bytes + next.bytes > this.#maxBytes) break;
          this.#queue.shift();
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
