import type { ConsumedBatch, ConsumeOptions, PartitionLag, Position, Subscription } from "@reeltime/ports";
import { backoffMs } from "../backoff.ts";
import type { GroupCoordinator, GroupMember, PartitionKey } from "./group.ts";
import type { StoredRecord } from "./record.ts";
import type { LogStore } from "./store.ts";

interface Owned {
  topic: string;
  partition: number;
  /** Next offset to deliver; undefined until the committed position was looked up. */
  pos: number | undefined;
  failures: number;
  retryAt: number;
  /** Which grant of the partition this is (see Subscription.hold). */
  hold: number;
}

let grants = 0;

const IDLE_WAIT_MS = 1000;

/**
 * One member of a consumer group on the embedded log. A single loop takes one batch per
 * owned partition in turn, so partitions progress fairly and each stays in order.
 */
export class EmbeddedSubscription implements Subscription, GroupMember {
  readonly topics: readonly string[];
  readonly #store: LogStore;
  readonly #group: GroupCoordinator;
  readonly #options: ConsumeOptions;
  readonly #owning = new Map<PartitionKey, Owned>();
  readonly #abort = new AbortController();
  #inflight: { key: PartitionKey; done: Promise<void> } | null = null;
  #nudge: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | null = null;

  constructor(store: LogStore, options: ConsumeOptions) {
    this.#store = store;
    this.#options = options;
    this.topics = [...options.topics];
    this.#group = store.group(options.group);
  }

  async start(): Promise<void> {
    await this.#group.join(this, (t) => this.#partitionsOf(t));
    this.#loop = this.#run();
  }

  owned(): PartitionKey[] {
    return [...this.#owning.keys()];
  }

  async revoke(keys: PartitionKey[]): Promise<void> {
    for (const k of keys) this.#owning.delete(k);
    const inflight = this.#inflight;
    if (inflight && keys.includes(inflight.key)) await inflight.done;
  }

  grant(keys: PartitionKey[]): void {
    if (this.#abort.signal.aborted) return;
    for (const k of keys) {
      const cut = k.lastIndexOf("/");
      this.#owning.set(k, {
        topic: k.slice(0, cut),
        partition: Number(k.slice(cut + 1)),
        pos: undefined,
        failures: 0,
        retryAt: 0,
        hold: ++grants,
      });
    }
    this.#nudge?.();
  }

  assignments(): { topic: string; partition: string }[] {
    return [...this.#owning.values()].map((o) => ({ topic: o.topic, partition: String(o.partition) }));
  }

  hold(topic: string, partition: string): number | undefined {
    return this.#owning.get(`${topic}/${partition}` as PartitionKey)?.hold;
  }

  async reread(topic: string, partition: string): Promise<void> {
    const key = `${topic}/${partition}` as PartitionKey;
    const o = this.#owning.get(key);
    if (!o) return;
    // A fresh entry reads from the group's committed position; the loop drops the old one's batch.
    this.#owning.set(key, { ...o, pos: undefined, failures: 0, retryAt: 0, hold: ++grants });
    this.#nudge?.();
  }

  async commit(positions: Position[]): Promise<void> {
    await this.#group.commit(
      positions.map((p) => ({ topic: p.topic, partition: Number(p.partition), next: Number(p.offset) + 1 })),
    );
  }

  async lag(): Promise<PartitionLag[]> {
    const out: PartitionLag[] = [];
    for (const topic of this.topics) {
      for (const [p, log] of (this.#store.openTopicLogs(topic) ?? []).entries()) {
        const committed = (await this.#group.committed(topic, p)) ?? log.start;
        out.push({ topic, partition: String(p), lag: Math.max(0, log.end - committed) });
      }
    }
    return out;
  }

  /** Do not await this from inside the handler: stop waits for the handler to return. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      this.#nudge?.();
      await this.#loop;
      this.#owning.clear();
      await this.#group.leave(this, (t) => this.#partitionsOf(t));
    })();
    return this.#stopping;
  }

  #partitionsOf(topic: string): number {
    return this.#store.openTopicLogs(topic)?.length ?? 0;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const since = this.#store.version;
      let worked = false;
      let nextRetry = Number.POSITIVE_INFINITY;
      for (const [key, o] of [...this.#owning]) {
        if (signal.aborted) break;
        if (this.#owning.get(key) !== o) continue;
        if (o.retryAt > Date.now()) {
          nextRetry = Math.min(nextRetry, o.retryAt);
          continue;
        }
        const log = this.#store.openTopicLogs(o.topic)?.[o.partition];
        if (!log) continue;
        let from: number;
        let records: StoredRecord[];
        try {
          if (o.pos === undefined) {
            const committed = await this.#group.committed(o.topic, o.partition);
            o.pos = committed ?? (this.#options.start === "latest" ? log.end : log.start);
          }
          from = Math.max(o.pos, log.start);
          records = await log.read(from, this.#options.maxBatchSize ?? 500);
        } catch {
          o.failures++;
          o.retryAt = Date.now() + backoffMs(o.failures, 100, 5000);
          continue;
        }
        if (records.length === 0 || this.#owning.get(key) !== o) continue;
        worked = true;
        const batch: ConsumedBatch = {
          topic: o.topic,
          partition: String(o.partition),
          messages: records.map((r, i) => ({
            topic: o.topic,
            partition: String(o.partition),
            offset: String(from + i),
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: r.timestamp,
          })),
        };
        const done = this.#deliver(o, from, batch);
        this.#inflight = { key, done };
        await done;
        this.#inflight = null;
      }
      if (!worked && !signal.aborted) {
        const wait = Math.max(0, Math.min(IDLE_WAIT_MS, nextRetry - Date.now()));
        await Promise.race([
          this.#store.waitForAppend(since, wait, signal),
          new Promise<void>((resolve) => {
            this.#nudge = resolve;
          }),
        ]);
        this.#nudge = null;
      }
    }
  }

  async #deliver(o: Owned, from: number, batch: ConsumedBatch): Promise<void> {
    try {
      await this.#options.handler(batch);
      const next = from + batch.messages.length;
      if (this.#options.commit !== "manual") {
        await this.#group.commit([{ topic: o.topic, partition: o.partition, next }]);
      }
      o.pos = next;
      o.failures = 0;
    } catch (e) {
      o.failures++;
      o.retryAt = Date.now() + 50 + backoffMs(o.failures, 100, 5000);
      try {
        this.#options.onError?.(e, batch);
      } catch {
        // a failing error callback must not stop the partition
      }
    }
  }
}
