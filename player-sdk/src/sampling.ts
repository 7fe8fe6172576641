/** FNV-1a of the id mapped to [0, 1): the same view is in or out on every page and every server. */
export function sampleValue(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

/** Whether events of the view (or session) with this id are kept at `rate` (0 < rate ≤ 1). */
export function isSampled(id: string, rate: number): boolean {
  return rate >= 1 || sampleValue(id) < rate;
}
