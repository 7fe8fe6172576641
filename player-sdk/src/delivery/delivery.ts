import type { WireEvent } from "../contract.ts";
import type { Platform } from "../platform/platform.ts";
import { backoffMs, parseResults, retryAfterMs, verdictOf } from "./policy.ts";
import type { EventStore } from "./store.ts";

/** Keepalive requests share 64 KB in flight; one request at a time keeps every body under it. */
export const MAX_BODY_BYTES = 64_000;

export interface DeliveryOptions {
  endpoint: string;
  writeKey: string;
  platform: Platform;
  store: EventStore;
  maxQueue: number;
  maxBatchEvents: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  log: (message: string, data?: unknown) => void;
  setTimeout: (cb: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
}

/** Delivery counters, for debugging and tests. */
export interface DeliveryStats {
  queued: number;
  sent: number;
  beaconed: number;
  /** Events the ingest API refused (or a 4xx refused as a whole): never retried. */
  rejected: number;
  /** Oldest events dropped because the offline queue hit its cap. */
  dropped: number;
  retries: number;
}

interface Item {
  event: WireEvent;
  bytes: number;
}

const encoder = new TextEncoder();
const sizeOf = (e: WireEvent) => encoder.encode(JSON.stringify(e)).length + 1;
const bodyOf = (items: Item[]) => `{"events":[${items.map((i) => JSON.stringify(i.event)).join(",")}]}`;

/**
 * The batching, retrying, persistent event queue. Batches flush by count, bytes or time
 * through `fetch` with keepalive; on page hide the rest goes out with `sendBeacon`.
 */
export class Delivery {
  readonly counters: DeliveryStats = { queued: 0, sent: 0, beaconed: 0, rejected: 0, dropped: 0, retries: 0 };
  readonly #o: DeliveryOptions;
  #queue: Item[] = [];
  #inflight: Item[] = [];
  #sending: Promise<void> | undefined;
  #timer: unknown;
  #attempt = 0;
  #retryAt = 0;
  readonly #url: string;
  readonly #beaconUrl: string;

  constructor(o: DeliveryOptions) {
    this.#o = o;
    const base = `${o.endpoint.replace(/\/+$/, "")}/v1/events`;
    this.#url = base;
    this.#beaconUrl = `${base}?key=${encodeURIComponent(o.writeKey)}`;
    for (const event of o.store.load()) this.#push({ event, bytes: sizeOf(event) });
    this.counters.queued = this.#queue.length;
    void this.adopt();
  }

  /** Takes over the queues of tabs that are gone (see `EventStore.adopt`) and schedules their delivery. */
  adopt(): Promise<void> {
    const adopting = this.#o.store.adopt?.((events) => {
      for (const event of events) this.#push({ event, bytes: sizeOf(event) });
      this.counters.queued = this.#queue.length;
      this.#persist();
      this.#o.log(`adopted ${events.length} events another tab left queued`);
      this.#schedule(this.#o.flushIntervalMs);
    });
    return (adopting ?? Promise.resolve()).catch(() => {});
  }

  /** Queues one event; `urgent` (view end, fatal error) flushes at once. */
  enqueue(event: WireEvent, urgent = false): void {
    const item = { event, bytes: sizeOf(event) };
    if (item.bytes > this.#o.maxBatchBytes) {
      this.counters.rejected++;
      this.#o.log("event larger than a batch, dropped", event.event_type);
      return;
    }
    this.#push(item);
    this.counters.queued = this.#queue.length;
    // While the ingest API is unreachable, every event is persisted as it comes.
    if (this.#attempt > 0) this.#persist();
    const bytes = this.#queue.reduce((n, i) => n + i.bytes, 0);
    if (urgent || this.#queue.length >= this.#o.maxBatchEvents || bytes >= this.#o.maxBatchBytes) void this.flush();
    else this.#schedule(this.#o.flushIntervalMs);
  }

  /** Sends everything queued, batch by batch; resolves when the queue is empty or a send must wait (backoff). */
  flush(): Promise<void> {
    if (this.#sending) return this.#sending;
    this.#clearTimer();
    this.#sending = this.#drain().finally(() => {
      this.#sending = undefined;
      this.#persist();
      const wait = this.#retryAt - this.#o.platform.now();
      if (this.#queue.length > 0) this.#schedule(wait > 0 ? wait : this.#o.flushIntervalMs);
    });
    return this.#sending;
  }

  /** Hands the queue to `sendBeacon` (text/plain, write key in the query): for pagehide and hidden pages. */
  beacon(): void {
    // Offline, a beacon would be accepted and lost: the queue stays persisted for this or another tab.
    const send = this.#o.platform.online?.() === false ? undefined : this.#o.platform.sendBeacon;
    while (send && this.#queue.length > 0) {
      const batch = this.#take();
      if (!send(this.#beaconUrl, bodyOf(batch))) {
        this.#queue.unshift(...batch);
        break;
      }
      this.counters.beaconed += batch.length;
    }
    this.counters.queued = this.#queue.length;
    this.#persist();
  }

  /** Retries now if waiting on a backoff (e.g. the browser came back online). */
  wake(): void {
    this.#retryAt = 0;
    if (this.#queue.length > 0) void this.flush();
    void this.adopt().then(() => {
      if (this.#queue.length > 0) void this.flush();
    });
  }

  shutdown(): Promise<void> {
    return this.flush().finally(() => {
      this.#clearTimer();
      this.#o.store.close?.();
    });
  }

  async #drain(): Promise<void> {
    const fetchFn = this.#o.platform.fetch;
    if (!fetchFn) return this.beacon();
    while (this.#queue.length > 0 && this.#o.platform.now() >= this.#retryAt) {
      const batch = this.#take();
      this.#inflight = batch;
      let status = 0;
      let body: unknown;
      let retryAfter: string | null = null;
      try {
        const res = await fetchFn(this.#url, {
          method: "POST",
          keepalive: true,
          headers: { "content-type": "application/json", "x-reeltime-key": this.#o.writeKey },
          body: bodyOf(batch),
        });
        status = res.status;
        retryAfter = res.headers.get("retry-after");
        body = await res.json().catch(() => undefined);
      } catch (err) {
        this.#o.log("network error", String(err));
      }
      this.#inflight = [];
      if (!this.#settle(batch, status, body, retryAfter)) return;
    }
  }

  /** Applies the answer to one batch; false when sending must pause (backoff). */
  #settle(batch: Item[], status: number, body: unknown, retryAfter: string | null): boolean {
    const verdict = status === 0 ? "retry" : verdictOf(status);
    if (verdict === "retry") {
      this.#queue.unshift(...batch);
      this.#trim();
      const wait = retryAfterMs(retryAfter) ?? backoffMs(this.#attempt, this.#o.platform.randomBytes(1)[0]! / 255);
      this.#attempt++;
      this.counters.retries++;
      this.#retryAt = this.#o.platform.now() + wait;
      this.#o.log(`send failed (${status || "network"}), retry in ${wait} ms`);
      this.counters.queued = this.#queue.length;
      return false;
    }
    this.#attempt = 0;
    const results = parseResults(body);
    const refused = new Set(results?.filter((r) => !r.ok).map((r) => r.index));
    if (verdict === "ok") {
      this.counters.rejected += refused.size;
      this.counters.sent += batch.length - refused.size;
    } else if ((status === 400 || status === 422) && results && refused.size > 0) {
      // The batch was refused because of some events: drop those, send the others again.
      this.counters.rejected += refused.size;
      this.#queue.unshift(...batch.filter((_, i) => !refused.has(i)));
    } else {
      this.counters.rejected += batch.length;
    }
    if (refused.size > 0 || verdict === "drop") this.#o.log(`ingest refused events (${status})`, results ?? body);
    this.counters.queued = this.#queue.length;
    return true;
  }

  /** The first events of the queue that fit in one request. */
  #take(): Item[] {
    let bytes = 14;
    let n = 0;
    while (n < this.#queue.length && n < this.#o.maxBatchEvents) {
      const next = this.#queue[n]!.bytes;
      if (n > 0 && bytes + next > this.#o.maxBatchBytes) break;
      bytes += next;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  #push(item: Item): void {
    this.#queue.push(item);
    this.#trim();
  }

  /** The hard cap: drop the oldest events and count them. */
  #trim(): void {
    const over = Math.min(this.#queue.length, this.#queue.length + this.#inflight.length - this.#o.maxQueue);
    if (over > 0) {
      this.#queue.splice(0, over);
      this.counters.dropped += over;
      this.#o.log(`offline queue full: dropped ${over} oldest events`);
    }
  }

  #persist(): void {
    this.#o.store.save([...this.#inflight, ...this.#queue].map((i) => i.event));
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#o.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#o.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
