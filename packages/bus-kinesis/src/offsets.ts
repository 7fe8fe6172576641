/**
 * A message's offset on Kinesis: `<sequence number>:<index in its record>`, since one record
 * can hold several messages. Compared numerically, sequence first.
 */
export interface KinesisOffset {
  seq: bigint;
  sub: number;
}

export const formatOffset = (seq: string, sub: number) => `${seq}:${sub}`;

export function parseOffset(offset: string | null | undefined): KinesisOffset | null {
  if (!offset) return null;
  const [seq, sub] = offset.split(":");
  return { seq: BigInt(seq ?? "0"), sub: Number(sub ?? 0) };
}

export function compareOffsets(a: KinesisOffset, b: KinesisOffset): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return a.sub - b.sub;
}

/** Whether `offset` is beyond `than` (anything is beyond null). */
export function isAfter(offset: string, than: string | null): boolean {
  const t = parseOffset(than);
  return t === null || compareOffsets(parseOffset(offset) as KinesisOffset, t) > 0;
}
