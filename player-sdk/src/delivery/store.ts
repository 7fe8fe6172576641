import type { WireEvent } from "../contract.ts";
import type { KeyValueStore } from "../platform/platform.ts";

/** Where the offline queue lives between page loads (a port: localStorage or memory). */
export interface EventStore {
  /** This tab's queue, as last saved. */
  load(): WireEvent[];
  save(events: WireEvent[]): void;
  /** Hands over, through `take`, queues that tabs now gone left behind; each is taken by one tab only. */
  adopt?(take: (events: WireEvent[]) => void): Promise<void>;
  /** This tab is done with the store (its queue may be adopted from now on). */
  close?(): void;
}

/** An in-memory store: the twin used when no persistent storage is available, and in tests. */
export function memoryStore(initial: WireEvent[] = []): EventStore & { events: WireEvent[] } {
  const s = {
    events: initial,
    load: () => s.events.slice(),
    save: (events: WireEvent[]) => {
      s.events = events.slice();
    },
  };
  return s;
}

/** The queue persisted under one key; storage errors (quota, privacy mode) never reach the host page. */
export function keyValueStore(kv: KeyValueStore, key: string): EventStore {
  return {
    load() {
      try {
        const parsed: unknown = JSON.parse(kv.getItem(key) ?? "[]");
        return Array.isArray(parsed) ? (parsed as WireEvent[]) : [];
      } catch {
        return [];
      }
    },
    save(events) {
      try {
        if (events.length === 0) kv.removeItem(key);
        else kv.setItem(key, JSON.stringify(events));
      } catch {
        // Quota exceeded: keep the queue in memory; the hard cap still bounds it.
      }
    },
  };
}
