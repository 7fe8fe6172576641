import { type FileHandle, mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { syncDir } from "./files.ts";
import { decodeRecord, type StoredRecord, scanRecords } from "./record.ts";

interface Segment {
  base: number;
  path: string;
  fh: FileHandle;
  /** Byte position of each record; record i has offset base + i. */
  positions: number[];
  size: number;
}

const SEGMENT_NAME = /^(\d{20})\.log$/;
const segmentName = (base: number) => `${String(base).padStart(20, "0")}.log`;

/**
 * One partition: append-only segment files named after their first offset. Only records
 * that were fsync'd are visible to readers, so a consumer never sees a message whose
 * publish was not acknowledged.
 */
export class PartitionLog {
  readonly dir: string;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];

  /** Only sets the fields: make one with `PartitionLog.open`, which also opens the segment files. */
  constructor(dir: string, segmentBytes: number) {
    this.dir = dir;
    this.#segmentBytes = segmentBytes;
  }

  /** Opens the partition, dropping a torn record at the tail left by a crash mid-append. */
  static async open(dir: string, segmentBytes: number): Promise<PartitionLog> {
    await mkdir(dir, { recursive: true });
    const log = new PartitionLog(dir, segmentBytes);
    const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const [i, name] of names.entries()) {
      const path = join(dir, name);
      const buf = await readFile(path);
      const { positions, end } = scanRecords(buf);
      const last = i === names.length - 1;
      if (end !== buf.length && !last) {
        throw new ReeltimeError(
          "REELTIME_ERR_BUS_CORRUPT",
          `embedded bus segment ${path} is corrupt at byte ${end}: restore it or move the partition aside`,
        );
      }
      const fh = await open(path, "r+");
      if (end !== buf.length) {
        await fh.truncate(end);
        await fh.datasync();
      }
      log.#segments.push({ base: Number(SEGMENT_NAME.exec(name)?.[1]), path, fh, positions, size: end });
    }
    if (log.#segments.length === 0) await log.#roll(0);
    return log;
  }

  /** The offset the next record gets. */
  get end(): number {
    const s = this.#active;
    return s.base + s.positions.length;
  }

  /** The first offset still on disk. */
  get start(): number {
    return this.#segments[0]?.base ?? 0;
  }

  get #active(): Segment {
    const s = this.#segments.at(-1);
    if (!s) throw new Error("partition log has no segment");
    return s;
  }

  /** Appends encoded records and fsyncs them; they become readable once durable. */
  async append(records: Buffer[]): Promise<number> {
    if (this.#active.size >= this.#segmentBytes) await this.#roll(this.end);
    const seg = this.#active;
    const first = this.end;
    const data = Buffer.concat(records);
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await seg.fh.write(data, written, data.length - written, seg.size + written);
      written += bytesWritten;
    }
    await seg.fh.datasync();
    let at = seg.size;
    for (const r of records) {
      seg.positions.push(at);
      at += r.length;
    }
    seg.size = at;
    return first;
  }

  /** Up to `max` records from `offset` (and at most about `maxBytes`), in order. */
  async read(offset: number, max: number, maxBytes = 8 * 1024 * 1024): Promise<StoredRecord[]> {
    const from = Math.max(offset, this.start);
    const i = this.#segmentIndex(from);
    const seg = this.#segments[i];
    if (!seg) return [];
    const first = from - seg.base;
    const count = Math.min(max, seg.positions.length - first);
    if (count <= 0) return [];
    const startPos = seg.positions[first] ?? 0;
    let n = 1;
    while (n < count && (seg.positions[first + n] ?? seg.size) - startPos <= maxBytes) n++;
    const endPos = seg.positions[first + n] ?? seg.size;
    const buf = Buffer.allocUnsafe(endPos - startPos);
    await seg.fh.read(buf, 0, buf.length, startPos);
    const out: StoredRecord[] = [];
    for (let k = 0; k < n; k++) out.push(decodeRecord(buf, (seg.positions[first + k] ?? 0) - startPos));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.#segments.map((s) => s.fh.close()));
    this.#segments.length = 0;
  }

  #segmentIndex(offset: number): number {
    let lo = 0;
    let hi = this.#segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#segments[mid]?.base ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async #roll(base: number): Promise<void> {
    const path = join(this.dir, segmentName(base));
    const fh = await open(path, "a+");
    await fh.close();
    this.#segments.push({ base, path, fh: await open(path, "r+"), positions: [], size: 0 });
    await syncDir(this.dir);
  }
}
