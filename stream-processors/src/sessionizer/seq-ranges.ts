/**
 * A set of integers kept as sorted inclusive ranges `[from, to, from, to, ...]`: the `seq`s a
 * view has folded. A view's SDK numbers its events 0, 1, 2..., so the set is one range unless
 * events were lost; it stays a few numbers long whatever the view's length.
 */
export type SeqRanges = number[];

export function hasSeq(r: SeqRanges, x: number): boolean {
  for (let i = 0; i < r.length; i += 2) {
    if (x < r[i]!) return false;
    if (x <= r[i + 1]!) return true;
  }
  return false;
}

/** Adds `x` (merging with the neighbouring ranges); false when it was there already. */
export function addSeq(r: SeqRanges, x: number): boolean {
  let i = 0;
  while (i < r.length && r[i + 1]! < x - 1) i += 2;
  if (i === r.length) {
    r.push(x, x);
    return true;
  }
  const from = r[i]!;
  const to = r[i + 1]!;
  if (x >= from && x <= to) return false;
  if (x === to + 1) {
    r[i + 1] = x;
    if (i + 2 < r.length && r[i + 2] === x + 1) r.splice(i + 1, 2);
    return true;
  }
  if (x === from - 1) {
    r[i] = x;
    return true;
  }
  r.splice(i, 0, x, x);
  return true;
}

/** The highest integer in the set, or -1 when empty. */
export const maxSeq = (r: SeqRanges): number => (r.length === 0 ? -1 : r[r.length - 1]!);
