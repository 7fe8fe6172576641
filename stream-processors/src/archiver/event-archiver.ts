import {
  type Archive,
  type Bus,
  type ConsumedBatch,
  type ConsumedMessage,
  type DeadLetter,
  endsRecord,
} from "@reeltime/connectors";
import { archivePrefix, type Column, FAMILIES, type Family, familyColumns, TOPICS } from "@reeltime/events";
import {
  type Committer,
  classifyFailure,
  compareOffsets,
  deadLetter,
  decode,
  type Processor,
  type ProcessorMetrics,
  publishDeadLetters,
  StaleBatchError,
} from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import { DedupeWindow, type WindowState } from "./dedupe.ts";
import type { ParquetWriter } from "./parquet.ts";

export interface ArchiverOptions {
  /** Roll a partition's file after this many rows... */
  maxRows?: number;
  /** ...or this many bytes of events... */
  maxBytes?: number;
  /** ...or when its oldest row waited this long. */
  maxAgeMs?: number;
  /** Event hours a partition remembers archived event_ids for (see DedupeWindow). */
  dedupeHours?: number;
  /** Most event_ids remembered per partition. */
  dedupeMaxIds?: number;
}

const FAMILY_OF_TOPIC = new Map<string, Family>(FAMILIES.map((f) => [TOPICS[f], f]));

interface Row {
  offset: string;
  bytes: number;
  /** Hive partition path (event_type=…/dt=…/hour=…/); undefined for a dead-lettered message. */
  path?: string;
  event?: unknown;
}

interface Buffer {
  from: string;
  to: string;
  rows: Row[];
  offsets: Set<string>;
  events: number;
  bytes: number;
  openedAt: number;
}

/**
 * Fixes where the cut starting at `from` ends. Written create-only before the cut's uploads:
 * the first writer decides, and every later writer of a cut from the same offset (a restart,
 * the instance that took the partition over, one that lost it and does not know yet) cuts at
 * the same `to`, so they all write the same objects with the same rows.
 */
interface Marker {
  from: string;
  to: string;
  keys: string[];
  /** The partition's dedupe window before this cut: every writer of the cut drops the same rows. */
  before?: WindowState;
}

/** The dedupe window after the last cut uploaded (written before its commit). */
interface WindowCheckpoint {
  to: string;
  after: WindowState;
}

interface PartitionState {
  topic: string;
  partition: string;
  /** The hold on the partition this state was built in (Committer.hold). */
  hold: number;
  buffer?: Buffer | undefined;
  /** The cut from `buffer.from` was fixed to end here: it is cut exactly there. */
  cutAt?: string | undefined;
  /** Cuts committed under this hold (old markers are pruned every few). */
  cuts: number;
  /** The last offset committed under this hold: a batch delivered again skips what is before. */
  committedTo?: string;
  /** event_ids archived before the open cut (loaded from the archive when the hold starts). */
  window?: DedupeWindow;
}

/** Markers kept per partition; older ones are deleted (a cut that late cannot be retried). */
const KEEP_MARKERS = 32;

const safe = (s: string) => s.replaceAll(/[^A-Za-z0-9._-]/g, "_");
const pad = (n: number) => String(n).padStart(2, "0");

/** Hive partition of an event by event time (device time; server time when that is unusable). */
export function hivePath(family: Family, event: { client_ts?: string; received_at?: string }): string {
  let t = Date.parse(event.client_ts ?? "");
  if (Number.isNaN(t)) t = Date.parse(event.received_at ?? "");
  if (Number.isNaN(t)) t = 0;
  const d = new Date(t);
  return `${archivePrefix.family(family)}dt=${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/`;
}

/**
 * Events → Parquet in the Archive, Hive-partitioned by event time. Each bus partition's rows
 * are cut into files by size or age; every file of one cut is named after the bus partition
 * and the cut's first and last offsets, and the position is committed only after the upload.
 * Before the uploads, a create-only marker fixes where the cut from that offset ends: whoever
 * cuts from there again (a retry, a restart, the instance that took the partition over, one
 * that lost it and does not know yet) ends at the same offset and rewrites the same objects
 * instead of adding rows twice. State lives only as long as the hold on the partition.
 */
export class Archiver implements Processor {
  readonly name = "archiver";
  readonly group = "reeltime-archiver";
  /** Every event family's topic (the contract's FAMILIES: playback, click, job, api, upload, notification). */
  readonly topics = FAMILIES.map((f) => TOPICS[f]);
  readonly commit = "manual" as const;
  readonly maxBatchSize = 5000;
  readonly tickMs = 500;
  readonly #archive: Archive;
  readonly #bus: Bus;
  readonly #writer: ParquetWriter;
  readonly #log: Logger;
  readonly #metrics: ProcessorMetrics;
  readonly #o: Required<ArchiverOptions>;
  readonly #parts = new Map<string, PartitionState>();
  /** Objects written (for tests and the drill). */
  written = 0;
  /** Rows not archived because their event_id was archived already (client retries, replays). */
  duplicatesDropped = 0;

  constructor(
    deps: { archive: Archive; bus: Bus; writer: ParquetWriter; log: Logger; metrics: ProcessorMetrics },
    opts: ArchiverOptions = {},
  ) {
    this.#archive = deps.archive;
    this.#bus = deps.bus;
    this.#writer = deps.writer;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#o = {
      maxRows: 200_000,
      maxBytes: 128 * 1024 * 1024,
      maxAgeMs: 60_000,
      dedupeHours: 2,
      dedupeMaxIds: 100_000,
      ...opts,
    };
  }

  #markerPrefix(topic: string, partition: string) {
    return `_state/${this.group}/${safe(topic)}/${safe(partition)}/`;
  }

  #windowKey(st: PartitionState) {
    return `${this.#markerPrefix(st.topic, st.partition)}window.json`;
  }

  #newWindow(state: WindowState = []) {
    return new DedupeWindow({ hours: this.#o.dedupeHours, maxIds: this.#o.dedupeMaxIds }, state);
  }

  /**
   * The dedupe window before a cut from `from`, when a hold starts: the cut's marker's if it was
   * fixed before (its writers must drop the same rows), else the last cut's checkpoint. A
   * failure to read throws (retried): cutting without the window would archive retries twice.
   */
  async #loadWindow(st: PartitionState, from: string): Promise<void> {
    const read = async <T>(key: string): Promise<T | undefined> =>
      (await this.#archive.exists(key))
        ? (JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as T)
        : undefined;
    const marker = await read<Marker>(this.#markerKey(st, from));
    const checkpoint = marker?.before ? undefined : await read<WindowCheckpoint>(this.#windowKey(st));
    st.window = this.#newWindow(marker?.before ?? checkpoint?.after ?? []);
  }

  #markerKey(st: PartitionState, from: string) {
    return `${this.#markerPrefix(st.topic, st.partition)}${safe(from)}.json`;
  }

  /** The state of a partition under the current hold: a new hold starts again from the last commit. */
  #state(topic: string, partition: string, hold: number): PartitionState {
    const id = `${topic}\u0000${partition}`;
    let st = this.#parts.get(id);
    if (st?.hold === hold) return st;
    if (st?.buffer)
      this.#log.info({ topic, partition, rows: st.buffer.events }, "archiver: partition taken again, old cut dropped");
    st = { topic, partition, hold, cuts: 0 };
    this.#parts.set(id, st);
    return st;
  }

  /** Whether state kept for a partition may still be written out; if not it is dropped. */
  #current(st: PartitionState, commit: Committer): boolean {
    if (commit.hold(st.topic, st.partition) === st.hold) return true;
    // Revoked or taken again: the owner re-reads from the last commit and cuts these rows itself.
    if (this.#parts.get(`${st.topic}\u0000${st.partition}`) === st)
      this.#parts.delete(`${st.topic}\u0000${st.partition}`);
    if (st.buffer)
      this.#log.info(
        { topic: st.topic, partition: st.partition, rows: st.buffer.events },
        "archiver: partition no longer held here, cut dropped",
      );
    return false;
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const hold = commit.hold(batch.topic, batch.partition);
    if (hold === undefined) throw new StaleBatchError(batch.topic, batch.partition);
    const st = this.#state(batch.topic, batch.partition, hold);
    const family = FAMILY_OF_TOPIC.get(batch.topic);
    let fresh = st.committedTo === undefined;
    for (const m of batch.messages) {
      // A batch delivered again after a failed handler: what was cut already, or is buffered,
      // is not added twice.
      if (!fresh && compareOffsets(m.offset, st.committedTo as string) <= 0) continue;
      fresh = true;
      if (st.buffer?.offsets.has(m.offset)) continue;
      if (!st.buffer) {
        if (!st.window) await this.#loadWindow(st, m.offset);
        this.#open(st, m.offset);
        await this.#lookup(st);
      }
      const e = decode(m);
      if (!e || !family) {
        const letter = deadLetter(this.name, "not_json", "the message is not a JSON event", m, e);
        await publishDeadLetters(this.#bus, [letter]);
        this.#metrics.deadLetters.inc({ processor: this.name, reason: letter.reason });
      }
      this.#append(
        st.buffer!,
        family && e
          ? {
              offset: m.offset,
              bytes: m.value.byteLength,
              path: hivePath(family, e as { client_ts?: string }),
              event: e,
            }
          : { offset: m.offset, bytes: 0 },
      );
      // A cut ends with a record: its commit then names the cut's last row exactly (an event of a
      // batch record would be committed as the position before its record; see Processor.handle).
      if (this.#due(st, false) && (st.cutAt !== undefined || endsRecord(m.offset))) await this.#flush(st, commit);
    }
  }

  /** Starts a cut at `from`. */
  #open(st: PartitionState, from: string): void {
    st.buffer = { from, to: from, rows: [], offsets: new Set(), events: 0, bytes: 0, openedAt: Date.now() };
    st.cutAt = undefined;
  }

  /**
   * If a marker already fixed where the open cut ends, it is cut there as soon as that row is
   * in. Best effort: if the archive cannot tell now, the flush finds the marker when it tries
   * to write its own, and cuts the same way.
   */
  async #lookup(st: PartitionState): Promise<void> {
    const b = st.buffer;
    if (!b) return;
    try {
      const key = this.#markerKey(st, b.from);
      if (!(await this.#archive.exists(key))) return;
      const marker = JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as Marker;
      if (st.buffer !== b) return;
      st.cutAt = marker.to;
      if (marker.before) st.window = this.#newWindow(marker.before);
      this.#log.info(
        { topic: st.topic, partition: st.partition, from: marker.from, to: marker.to },
        "archiver: a cut from this offset was started before, cutting at the same place",
      );
    } catch (err) {
      this.#log.debug({ err: { message: (err as Error).message } }, "archiver: cut marker lookup failed");
    }
  }

  /** Whether the open cut should be written now. */
  #due(st: PartitionState, byAge: boolean): boolean {
    const b = st.buffer;
    if (!b) return false;
    if (st.cutAt !== undefined) return compareOffsets(b.to, st.cutAt) >= 0;
    return (
      b.events >= this.#o.maxRows ||
      b.bytes >= this.#o.maxBytes ||
      (byAge && Date.now() - b.openedAt >= this.#o.maxAgeMs)
    );
  }

  /** Adds a row to the open cut (a row without a path stands for a dead-lettered message). */
  #append(b: Buffer, row: Row) {
    b.to = row.offset;
    b.offsets.add(row.offset);
    b.rows.push(row);
    if (row.path) b.events++;
    b.bytes += row.bytes;
  }

  async #flush(st: PartitionState, commit: Committer): Promise<void> {
    const b = st.buffer;
    if (!b || !this.#current(st, commit)) return;
    const family = FAMILY_OF_TOPIC.get(st.topic);
    if (st.cutAt === undefined) {
      const keys = [...new Set(b.rows.flatMap((r) => (r.path ? [r.path] : [])))].map(
        (path) => `${path}${this.#fileName(st, b.from, b.to)}`,
      );
      const marker: Marker = { from: b.from, to: b.to, keys, before: (st.window ?? this.#newWindow()).toJSON() };
      const key = this.#markerKey(st, b.from);
      const created = await this.#archive.put(key, new TextEncoder().encode(JSON.stringify(marker)), {
        contentType: "application/json",
        ifAbsent: true,
      });
      const fixed = created ? marker : (JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as Marker);
      st.cutAt = fixed.to;
      if (fixed.before) st.window = this.#newWindow(fixed.before);
    }
    const to = st.cutAt;
    // The cut was fixed to end further on (by another writer, or a run before a restart): wait for its last row.
    if (compareOffsets(b.to, to) < 0) return;
    const cut = b.rows.filter((r) => compareOffsets(r.offset, to) <= 0);
    const rest = b.rows.filter((r) => compareOffsets(r.offset, to) > 0);
    // The cut is fixed now: if the partition moved meanwhile, its new owner writes these same objects.
    if (!this.#current(st, commit)) return;
    const groups = new Map<string, unknown[]>();
    // One row per event_id: ids archived by earlier cuts (the window) or earlier in this cut are dropped.
    const window = (st.window ?? this.#newWindow()).clone();
    let duplicates = 0;
    for (const r of cut) {
      if (!r.path) continue;
      const ev = r.event as { event_id?: unknown; client_ts?: string; received_at?: string };
      if (typeof ev.event_id === "string") {
        if (window.has(ev.event_id)) {
          duplicates++;
          continue;
        }
        // Server time: one event with a device clock years ahead must not age every id out.
        const t = Date.parse(ev.received_at ?? "");
        window.add(ev.event_id, Number.isNaN(t) ? Date.parse(ev.client_ts ?? "") : t);
      }
      const rows = groups.get(r.path);
      if (rows) rows.push(r.event);
      else groups.set(r.path, [r.event]);
    }
    if (family)
      for (const [path, rows] of groups) {
        const bytes = await this.#writeRows(st, familyColumns(family), rows);
        if (!bytes) continue;
        await this.#archive.put(`${path}${this.#fileName(st, b.from, to)}`, bytes, {
          contentType: "application/vnd.apache.parquet",
        });
        this.written++;
      }
    const checkpoint: WindowCheckpoint = { to, after: window.toJSON() };
    await this.#archive.put(this.#windowKey(st), new TextEncoder().encode(JSON.stringify(checkpoint)), {
      contentType: "application/json",
    });
    await commit([{ topic: st.topic, partition: st.partition, offset: to }]);
    st.committedTo = to;
    st.window = window;
    this.duplicatesDropped += duplicates;
    this.#log.debug(
      { topic: st.topic, partition: st.partition, rows: cut.length, files: groups.size, duplicates },
      "archiver: cut uploaded",
    );
    st.buffer = undefined;
    st.cutAt = undefined;
    const first = rest[0];
    if (first) {
      // The rows after the cut start the next one, in memory before anything else can fail.
      this.#open(st, first.offset);
      for (const r of rest) this.#append(st.buffer!, r);
    }
    if (++st.cuts % KEEP_MARKERS === 0) await this.#prune(st);
    await this.#lookup(st);
  }

  /**
   * Parquet of these rows. When a value cannot be written (content, see classifyFailure), the
   * rows are split in halves until the ones at fault are alone (a few DuckDB calls per bad row,
   * not one per row of a 200,000-row cut): those go to dead letters with the reason, the rest
   * are archived, and the partition moves on.
   */
  async #writeRows(st: PartitionState, columns: Column[], rows: unknown[]): Promise<Uint8Array | undefined> {
    try {
      return await this.#writer.write(columns, rows);
    } catch (err) {
      if (classifyFailure(err) !== "content") throw err;
    }
    const kept: unknown[] = [];
    const letters: DeadLetter[] = [];
    const source = { topic: st.topic, partition: st.partition, value: new Uint8Array() } as ConsumedMessage;
    const pending: unknown[][] = [rows];
    while (pending.length > 0) {
      const part = pending.pop()!;
      try {
        await this.#writer.write(columns, part);
        kept.push(...part);
      } catch (err) {
        if (classifyFailure(err) !== "content") throw err;
        if (part.length === 1)
          letters.push(deadLetter(this.name, "unarchivable", (err as Error).message, source, part[0]));
        else pending.push(part.slice(part.length >> 1), part.slice(0, part.length >> 1));
      }
    }
    await publishDeadLetters(this.#bus, letters);
    for (const l of letters) this.#metrics.deadLetters.inc({ processor: this.name, reason: l.reason });
    this.#log.warn(
      { topic: st.topic, partition: st.partition, rejected: letters.length },
      "archiver: rows Parquet cannot hold went to dead letters",
    );
    return kept.length > 0 ? this.#writer.write(columns, kept) : undefined;
  }

  #fileName(st: PartitionState, from: string, to: string) {
    return `${safe(st.topic)}-${safe(st.partition)}-${safe(from)}-${safe(to)}.parquet`;
  }

  /** Deletes all but the newest markers of a partition (best effort). */
  async #prune(st: PartitionState): Promise<void> {
    try {
      const markers = await this.#archive.list(this.#markerPrefix(st.topic, st.partition));
      markers.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
      await this.#archive.delete(markers.slice(0, -KEEP_MARKERS).map((o) => o.key));
    } catch (err) {
      this.#log.warn({ err: { message: (err as Error).message } }, "archiver: pruning old cut markers failed");
    }
  }

  /** Cuts partitions whose oldest row waited long enough, or whose fixed cut is complete. */
  async tick(commit: Committer): Promise<void> {
    for (const st of [...this.#parts.values()]) if (this.#due(st, true)) await this.#flush(st, commit);
  }

  /** Writes out every open cut (a cut fixed to end further on waits for its rows). */
  async flush(commit: Committer): Promise<void> {
    for (const st of [...this.#parts.values()]) await this.#flush(st, commit);
  }
}
