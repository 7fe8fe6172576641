import type { Message } from "kafkajs";

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

interface Entry {
  topic: string;
  messages: Message[];
  bytes: number;
  abandoned: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces concurrent publishes into one produce request. With an idempotent producer only
 * one request is in flight, so publishes that arrive while it waits for its acks are queued
 * and go out together in the next request (up to `maxBytes`), in arrival order: every
 * publish still resolves only once its own messages were acknowledged, and a request that
 * fails rejects every publish it carried. Nothing waits for a timer: a lone publish is sent
 * at once.
 */
export class ProduceQueue {
  readonly #send: (batch: TopicMessages[]) => Promise<void>;
  readonly #maxBytes: number;
  #queue: Entry[] = [];
  #running = false;
  /** Produce requests sent, and publishes they carried (for tests and metrics). */
  readonly stats = { requests: 0, entries: 0 };

  constructor(send: (batch: TopicMessages[]) => Promise<void>, maxBytes: number) {
    this.#send = send;
    this.#maxBytes = maxBytes;
  }

  /**
   * Queues one chunk (at most `maxBytes`) of a topic's messages. `abandon` drops it if it was
   * not taken into a request yet (the caller gave up waiting).
   */
  push(topic: string, messages: Message[], bytes: number): { done: Promise<void>; abandon(): void } {
    let entry!: Entry;
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
        const taken: Entry[] = [];
        let bytes = 0;
        while (this.#queue.length > 0) {
          const next = this.#queue[0] as Entry;
          if (!next.abandoned && taken.length > 0 && bytes + next.bytes > this.#maxBytes) break;
          this.#queue.shift();
          if (next.abandoned) continue;
          taken.push(next);
          bytes += next.bytes;
        }
        if (taken.length === 0) continue;
        const byTopic = new Map<string, Message[]>();
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
