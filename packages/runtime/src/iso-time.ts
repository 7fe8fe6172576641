const pad3 = (n: number) => (n < 10 ? "00" : n < 100 ? "0" : "") + n;

/** ISO text of whole seconds seen lately (`YYYY-MM-DDTHH:MM:SS`), by second since the epoch. */
const seconds = new Map<number, string>();
const KEPT = 4096;

/**
 * The same text as `new Date(ms).toISOString()`, for integral milliseconds, about 15x cheaper on
 * the hot paths that write a timestamp per record (the sessionizer writes four per view record):
 * the text of a second is computed once and kept among the last few thousand seconds seen, and
 * only the milliseconds are formatted each time. Out-of-range or fractional values go through
 * `toISOString` itself (which throws a RangeError for an invalid time, as before).
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253402300800000) return new Date(ms).toISOString();
  const s = Math.floor(ms / 1000);
  let head = seconds.get(s);
  if (head === undefined) {
    if (seconds.size >= KEPT) seconds.clear();
    head = new Date(s * 1000).toISOString().slice(0, 19);
    seconds.set(s, head);
  }
  return `${head}.${pad3(ms - s * 1000)}Z`;
}
