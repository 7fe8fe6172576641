import type { ObjectInfo } from "@reeltime/connectors";

/**
 * Archiver files are named `<topic>-<partition>-<first offset>-<last offset>.parquet`; a
 * compacted file `<topic>-<partition>-<first>-<last>.compacted.parquet` holds every row of
 * the files of the same bus partition, in the same folder, whose offsets lie in its range.
 */
export interface PartName {
  /** `<topic>-<partition>`: the bus partition the rows came from. */
  source: string;
  from: string;
  to: string;
  compacted: boolean;
}

const COMPACTED = /^(.+)-([^-/]+)-([^-/]+)\.compacted\.parquet$/;
const CUT = /^(.+)-([^-/]+)-([^-/]+)\.parquet$/;

/**
 * Athena and Hive skip objects whose name starts with `_` or `.`: compaction stages its
 * output under such names (see compact.ts), and every reader here skips them too.
 */
export const isHidden = (key: string) => /^[_.]/.test(key.slice(key.lastIndexOf("/") + 1));

export function parseName(file: string): PartName | undefined {
  if (isHidden(file)) return undefined;
  const c = COMPACTED.exec(file);
  if (c) return { source: c[1]!, from: c[2]!, to: c[3]!, compacted: true };
  const m = CUT.exec(file);
  return m ? { source: m[1]!, from: m[2]!, to: m[3]!, compacted: false } : undefined;
}

export const compactedName = (source: string, from: string, to: string) => `${source}-${from}-${to}.compacted.parquet`;

/** Offsets compare as integers when both are (Kafka, Kinesis, embedded), as text otherwise. */
export function compareOffsets(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const within = (inner: PartName, outer: PartName) =>
  inner.source === outer.source &&
  compareOffsets(outer.from, inner.from) <= 0 &&
  compareOffsets(inner.to, outer.to) <= 0;

const folder = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);
const base = (key: string) => key.slice(key.lastIndexOf("/") + 1);

/**
 * Splits a listing into what readers must see, what a compacted file superseded, and hidden
 * objects (`_`/`.` names: compaction's staging, never data to read). A file is superseded when
 * another compacted file in the same folder, from the same bus partition, covers its whole
 * offset range (files compacted by older versions, which wrote the merged file in place
 * before deleting the inputs).
 */
export function splitSuperseded<T extends Pick<ObjectInfo, "key">>(
  objects: T[],
): { visible: T[]; superseded: T[]; hidden: T[] } {
  const compacted = new Map<string, { key: string; name: PartName }[]>();
  for (const o of objects) {
    const name = parseName(base(o.key));
    if (name?.compacted) {
      const list = compacted.get(folder(o.key)) ?? [];
      list.push({ key: o.key, name });
      compacted.set(folder(o.key), list);
    }
  }
  const visible: T[] = [];
  const superseded: T[] = [];
  const hidden: T[] = [];
  for (const o of objects) {
    if (isHidden(o.key)) {
      hidden.push(o);
      continue;
    }
    const name = parseName(base(o.key));
    const covers = compacted.get(folder(o.key)) ?? [];
    if (name && covers.some((c) => c.key !== o.key && within(name, c.name))) superseded.push(o);
    else visible.push(o);
  }
  return { visible, superseded, hidden };
}
