import type { WireEvent } from "../contract.ts";
import type { KeyValueStore, LockManagerLike } from "../platform/platform.ts";
import type { EventStore } from "./store.ts";

/** A closed tab's queue is taken over without Web Locks only once it was left alone this long. */
export const ORPHAN_AFTER_MS = 10 * 60_000;
/** With Web Locks, a queue written this recently is left alone (its tab may not hold its lock yet). */
const SETTLE_MS = 2000;

interface Stored {
  /** Wall clock of the last write. */
  at: number;
  events: WireEvent[];
}

export interface TabStoreOptions {
  kv: KeyValueStore;
  /** e.g. `reeltime.queue.shop`; this tab writes `<prefix>:<tabId>` only. */
  prefix: string;
  tabId: string;
  locks?: LockManagerLike;
  wallNow(): number;
}

function read(kv: KeyValueStore, key: string): Stored | undefined {
  try {
    const v: unknown = JSON.parse(kv.getItem(key) ?? "null");
    // The single-key queue of SDK versions before per-tab keys: a bare array.
    if (Array.isArray(v)) return { at: 0, events: v as WireEvent[] };
    const s = v as Partial<Stored> | null;
    return s && Array.isArray(s.events) ? { at: Number(s.at) || 0, events: s.events } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The offline queue, one storage key per tab, so tabs never write over each other's queue. A tab
 * holds the Web Lock named after its key while it lives; the queue of a tab that is gone (its lock
 * free) is adopted by another tab under that lock, so exactly one tab takes it. Without Web Locks,
 * a queue unwritten for ORPHAN_AFTER_MS is adopted (at least once: event ids let the server dedupe).
 */
export function tabStore(o: TabStoreOptions): EventStore {
  const own = `${o.prefix}:${o.tabId}`;
  let release: (() => void) | undefined;
  if (o.locks) {
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    o.locks.request(own, {}, () => held).catch(() => {});
  }
  const others = (): string[] => {
    const keys: string[] = [];
    const n = o.kv.length ?? 0;
    for (let i = 0; i < n; i++) {
      const k = o.kv.key?.(i);
      if (k && k !== own && (k === o.prefix || k.startsWith(`${o.prefix}:`))) keys.push(k);
    }
    return keys;
  };
  const takeFrom = (key: string, take: (events: WireEvent[]) => void) => {
    const s = read(o.kv, key);
    if (s && s.events.length > 0) take(s.events);
    o.kv.removeItem(key);
  };
  return {
    load: () => read(o.kv, own)?.events ?? [],
    save(events) {
      try {
        if (events.length === 0) o.kv.removeItem(own);
        else o.kv.setItem(own, JSON.stringify({ at: o.wallNow(), events } satisfies Stored));
      } catch {
        // Quota exceeded: keep the queue in memory; the hard cap still bounds it.
      }
    },
    async adopt(take) {
      let settling = false;
      let keys: string[];
      try {
        keys = others();
      } catch {
        return;
      }
      for (const key of keys) {
        const at = read(o.kv, key)?.at ?? 0;
        const locks = o.locks;
        try {
          if (locks) {
            if (o.wallNow() - at < SETTLE_MS) {
              settling = true;
              continue;
            }
            await locks.request(key, { ifAvailable: true }, (lock) => {
              if (lock) takeFrom(key, take);
            });
          } else if (o.wallNow() - at >= ORPHAN_AFTER_MS) takeFrom(key, take);
        } catch {
          // Storage or locks refused: try again at the next adoption.
        }
      }
      // A queue written just now (e.g. by a tab closing) is looked at again once it has settled.
      if (settling) setTimeout(() => void this.adopt?.(take), SETTLE_MS);
    },
    close() {
      release?.();
    },
  };
}
