import type { Archive } from "@reeltime/connectors";
import type { Folder } from "./folder.ts";

interface ListState<E> {
  events: E[];
  ids: Set<string>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const safe = (s: string) => s.replaceAll(/[^A-Za-z0-9_.:-]/g, "_");

/**
 * Where a folder leaves a final key's state when it leaves memory (`_state/<group>/evicted/...`,
 * expired by the bucket's lifecycle rules), for a late event of the key to find it again.
 */
export const evictedObjectKey = (group: string, where: { topic: string; partition: string }, key: string) =>
  `_state/${group}/evicted/${safe(where.topic)}/${safe(where.partition)}/${safe(key)}.json`;

/**
 * A folder that keeps every event of a key and recomputes its record from all of them (jobs:
 * a few dozen events each). A final key leaving memory after its grace period leaves its events
 * in the archive (`_state/<group>/evicted/...`, to be expired by the bucket's lifecycle rules),
 * where a late event finds them again.
 */
export function listFolder<E extends { event_id: string }, R>(
  compute: (events: E[], opts: { timedOut: boolean }) => R | undefined,
  deps: {
    archive: Archive;
    group: string;
    joinsOnly?: (event: E) => boolean;
    /** Events that join only but may bring back a finished key (Folder.bringsBack). */
    bringsBack?: (event: E) => boolean;
  },
): Folder<E, ListState<E>, R> {
  const objectKey = (w: { topic: string; partition: string }, key: string) => evictedObjectKey(deps.group, w, key);
  return {
    start: (e) => (deps.joinsOnly?.(e) ? undefined : { events: [], ids: new Set() }),
    ...(deps.bringsBack ? { bringsBack: deps.bringsBack } : {}),
    add(s, e) {
      if (s.ids.has(e.event_id)) return false;
      s.ids.add(e.event_id);
      s.events.push(e);
      return true;
    },
    result: (s, opts) => compute(s.events, opts),
    async recall(keys, where) {
      const out = new Map<string, ListState<E>>();
      await Promise.all(
        keys.map(async (k) => {
          const object = objectKey(where, k);
          if (!(await deps.archive.exists(object))) return;
          const saved = JSON.parse(decoder.decode(await deps.archive.get(object))) as { events: E[] };
          out.set(k, { events: saved.events, ids: new Set(saved.events.map((e) => e.event_id)) });
        }),
      );
      return out;
    },
    async evict(key, s, where) {
      await deps.archive.put(objectKey(where, key), encoder.encode(JSON.stringify({ events: s.events })), {
        contentType: "application/json",
      });
    },
    save: (s) => s.events,
    load: (saved) => {
      const events = saved as E[];
      return { events, ids: new Set(events.map((e) => e.event_id)) };
    },
  };
}
