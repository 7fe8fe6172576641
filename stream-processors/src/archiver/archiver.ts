import type { Archive, Bus, ConsumedBatch, ConsumedMessage } from "@reeltime/connectors";
import { archivePrefix, type Family, familyColumns, TOPICS } from "@reeltime/events";
import type { Logger } from "@reeltime/runtime";
import { deadLetter, decode, publishDeadLetters } from "../runtime/messages.ts";
import type { Committer, Processor, ProcessorMetrics } from "../runtime/processor.ts";
import type { ParquetWriter } from "./parquet.ts";

export interface ArchiverOptions {
  /** Roll a partition's file after this many rows... */
  maxRows?: number;
  /** ...or this many bytes of events... */
  maxBytes?: number;
  /** ...or when its oldest row waited this long. */
  maxAgeMs?: number;
}

const FAMILY_OF_TOPIC = new Map<string, Family>(
  (Object.entries(TOPICS) as [string, string][]).filter(([k]) => k !== "deadLetter").map(([k, t]) => [t, k as Family]),
);

interface Buffer {
  from: string;
  to: string;
  rows: number;
  bytes: number;
  openedAt: number;
  offsets: Set<string>;
  /** Hive partition path (event_type=…/dt=…/hour=…/) → events. */
  groups: Map<string, unknown[]>;
}

/** Written before a flush's uploads; a restart that replays the same offsets must cut at the same place. */
interface Marker {
  from: string;
  to: string;
  keys: string[];
}

interface PartitionState {
  topic: string;
  partition: string;
  buffer?: Buffer;
  /** A flush that was uploading when the previous run stopped: replay must end exactly at `to`. */
  replayTo?: string;
  /** The marker was read and compared with the first offset since (re)start. */
  checked: boolean;
}

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
 * A marker written before the uploads makes a replay after a crash cut at the same offsets,
 * so it rewrites the same objects instead of adding rows twice.
 */
export class Archiver implements Processor {
  readonly name = "archiver";
  readonly group = "reeltime-archiver";
  readonly topics = [TOPICS.playback, TOPICS.click, TOPICS.job, TOPICS.api];
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

  constructor(
    deps: { archive: Archive; bus: Bus; writer: ParquetWriter; log: Logger; metrics: ProcessorMetrics },
    opts: ArchiverOptions = {},
  ) {
    this.#archive = deps.archive;
    this.#bus = deps.bus;
    this.#writer = deps.writer;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#o = { maxRows: 200_000, maxBytes: 128 * 1024 * 1024, maxAgeMs: 60_000, ...opts };
  }

  #markerKey(topic: string, partition: string) {
    return `_state/${this.group}/${safe(topic)}/${safe(partition)}.json`;
  }

  async #state(topic: string, partition: string): Promise<PartitionState> {
    const id = `${topic}\u0000${partition}`;
    let st = this.#parts.get(id);
    if (!st) {
      st = { topic, partition, checked: false };
      this.#parts.set(id, st);
    }
    return st;
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const st = await this.#state(batch.topic, batch.partition);
    const family = FAMILY_OF_TOPIC.get(batch.topic);
    for (const m of batch.messages) {
      if (!st.checked) await this.#checkMarker(st, m);
      // A batch delivered again after a failed cut: what was already buffered is not added twice.
      if (!st.buffer?.offsets.has(m.offset)) {
        const e = decode(m);
        if (!e || !family) {
          const letter = deadLetter(this.name, "not_json", "the message is not a JSON event", m, e);
          await publishDeadLetters(this.#bus, [letter]);
          this.#metrics.deadLetters.inc({ processor: this.name, reason: letter.reason });
        }
        this.#append(st, m, family && e ? e : undefined, family);
      }
      if (st.replayTo !== undefined) {
        if (m.offset === st.replayTo) {
          await this.#flush(st, commit);
          st.replayTo = undefined;
        }
        continue;
      }
      if (st.buffer && (st.buffer.rows >= this.#o.maxRows || st.buffer.bytes >= this.#o.maxBytes))
        await this.#flush(st, commit);
    }
  }

  async #checkMarker(st: PartitionState, first: ConsumedMessage): Promise<void> {
    st.checked = true;
    const key = this.#markerKey(st.topic, st.partition);
    if (!(await this.#archive.exists(key))) return;
    const marker = JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as Marker;
    if (marker.from === first.offset) {
      st.replayTo = marker.to;
      this.#log.info(
        { topic: st.topic, partition: st.partition, from: marker.from, to: marker.to },
        "archiver: replaying an unfinished cut",
      );
    }
  }

  #append(st: PartitionState, m: ConsumedMessage, event: Record<string, unknown> | undefined, family?: Family) {
    st.buffer ??= {
      from: m.offset,
      to: m.offset,
      rows: 0,
      bytes: 0,
      openedAt: Date.now(),
      offsets: new Set(),
      groups: new Map(),
    };
    const b = st.buffer;
    b.to = m.offset;
    b.offsets.add(m.offset);
    if (!event || !family) return;
    const path = hivePath(family, event as { client_ts?: string });
    const rows = b.groups.get(path) ?? [];
    rows.push(event);
    b.groups.set(path, rows);
    b.rows++;
    b.bytes += m.value.byteLength;
  }

  async #flush(st: PartitionState, commit: Committer): Promise<void> {
    const b = st.buffer;
    if (!b) return;
    if (!commit.owns(st.topic, st.partition)) {
      // Revoked: the new owner re-reads from the last commit and cuts these rows itself.
      this.#parts.delete(`${st.topic}\u0000${st.partition}`);
      this.#log.info(
        { topic: st.topic, partition: st.partition, rows: b.rows },
        "archiver: partition revoked, cut dropped",
      );
      return;
    }
    const family = FAMILY_OF_TOPIC.get(st.topic);
    const name = `${safe(st.topic)}-${safe(st.partition)}-${safe(b.from)}-${safe(b.to)}.parquet`;
    const keys = [...b.groups.keys()].map((path) => `${path}${name}`);
    const marker: Marker = { from: b.from, to: b.to, keys };
    await this.#archive.put(this.#markerKey(st.topic, st.partition), new TextEncoder().encode(JSON.stringify(marker)), {
      contentType: "application/json",
    });
    if (family)
      for (const [path, rows] of b.groups) {
        const bytes = await this.#writer.write(familyColumns(family), rows);
        await this.#archive.put(`${path}${name}`, bytes, { contentType: "application/vnd.apache.parquet" });
        this.written++;
      }
    await commit([{ topic: st.topic, partition: st.partition, offset: b.to }]);
    st.buffer = undefined;
    this.#log.debug(
      { topic: st.topic, partition: st.partition, rows: b.rows, files: keys.length },
      "archiver: cut uploaded",
    );
  }

  /** Cuts partitions whose oldest row waited long enough (never during a replayed cut). */
  async tick(commit: Committer): Promise<void> {
    const now = Date.now();
    for (const st of this.#parts.values())
      if (st.buffer && st.replayTo === undefined && now - st.buffer.openedAt >= this.#o.maxAgeMs)
        await this.#flush(st, commit);
  }

  async flush(commit: Committer): Promise<void> {
    for (const st of this.#parts.values()) if (st.replayTo === undefined) await this.#flush(st, commit);
  }
}
