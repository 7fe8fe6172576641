/** Events of one key in the order they happened: by seq, then device time, then id; duplicates dropped. */
export function orderBySeq<E extends { event_id: string; seq: number; client_ts: string }>(events: E[]): E[] {
  const byId = new Map<string, E>();
  for (const e of events) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return [...byId.values()].sort(
    (a, b) =>
      a.seq - b.seq || Date.parse(a.client_ts) - Date.parse(b.client_ts) || a.event_id.localeCompare(b.event_id),
  );
}
