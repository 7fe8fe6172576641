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
 * ones are `<sequence number>:<index>`; each part is compared as a number. An event of a batch
 * record is `<record offset>#<index>/<count>` (see splitRecord): ordered by record, then index,
 * and before the record's own offset (which stands for the whole record, its last event included).
 */
export function compareOffsets(a: string, b: string): number {
  const ha = a.indexOf("#");
  const hb = b.indexOf("#");
  const byRecord = compareParts(ha < 0 ? a : a.slice(0, ha), hb < 0 ? b : b.slice(0, hb));
  if (byRecord !== 0 || (ha < 0 && hb < 0)) return byRecord;
  if (ha < 0) return 1;
  if (hb < 0) return -1;
  return subIndex(a, ha) - subIndex(b, hb);
}

const subIndex = (offset: string, hash: number) => Number.parseInt(offset.slice(hash + 1), 10);

function compareParts(a: string, b: string): number {
  const pa = a.split(":");
  const pb = b.split(":");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = BigInt(pa[i] ?? "0");
    const y = BigInt(pb[i] ?? "0");
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
