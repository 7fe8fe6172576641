/** Events of one key in the order they happened: by seq, then device time, then id; duplicates dropped. */
export function orderBySeq<E extends { event_id: string; seq: number; client_ts: string }>(events: E[]): E[] {
  const byId = new Map<string, E>();
  for (const e of events) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return [...byId.values()].sort(
    (a, b) =>
      a.seq - b.seq || Date.parse(a.client_ts) - Date.parse(b.client_ts) || a.event_id.localeCompare(b.event_id),
  );
}

/**
 * Compares two positions of one partition: Kafka and embedded offsets are integers, Kinesis
 * ones are `<sequence number>:<index>`; each part is compared as a number.
 */
export function compareOffsets(a: string, b: string): number {
  const pa = a.split(":");
  const pb = b.split(":");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = BigInt(pa[i] ?? "0");
    const y = BigInt(pb[i] ?? "0");
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
