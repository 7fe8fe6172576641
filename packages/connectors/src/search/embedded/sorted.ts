/** A document with its sort key: `received_at` in ms, then its id. */
export interface Entry<T> {
  ms: number;
  id: string;
  doc: T;
}

/** Ascending by (ms, id); appends are the common case since the server's clock moves forward. */
export function insertSorted<T>(list: Entry<T>[], e: Entry<T>): void {
  const last = list.at(-1);
  if (!last || last.ms < e.ms || (last.ms === e.ms && last.id < e.id)) {
    list.push(e);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = list[mid]!;
    if (m.ms < e.ms || (m.ms === e.ms && m.id < e.id)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, e);
}

/** Index of the first entry at or after `ms` (binary search). */
export function lowerBound<T>(list: Entry<T>[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.ms < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
