import type { Archive, Bus, ConsumedBatch, Position } from "@reeltime/connectors";
import type { Logger } from "@reeltime/runtime";
import { deadLetter, decode, publishDeadLetters } from "./messages.ts";
import { type Committer, type Processor, type ProcessorMetrics, StaleBatchError } from "./processor.ts";

interface Entry<E> {
  events: E[];
  ids: Set<string>;
  final: boolean;
  /** Finalised because it went silent (computed with `timedOut` from then on). */
  timedOut?: boolean;
  /** Wall-clock ms of the last event received for this key. */
  lastSeenAt: number;
}

interface PartitionState<E> {
  /** The hold on the partition this state was built in (Committer.hold). */
  hold: number;
  keys: Map<string, Entry<E>>;
  /**
   * Final keys dropped from memory after the grace period → when. Their events wait in the
   * archive, so a late event (an offline queue flushed hours later) updates the record it
   * belongs to instead of starting an empty one that would replace it.
   */
  evicted: Map<string, number>;
  /** Highest offset folded in, not yet committed. */
  pending?: Position;
  dirty: boolean;
  lastSnapshotAt: number;
}

interface Snapshot<E> {
  version: 1;
  offset?: string;
  keys: { key: string; events: E[]; final: boolean; timedOut?: boolean; lastSeenAt: number }[];
  evicted?: [string, number][];
}

/** An evicted key's entry, kept in the archive until its retention ends. */
interface Evicted<E> {
  events: E[];
  timedOut?: boolean;
}

/** How long an evicted key can still be updated: the oldest client time ingest accepts (LIMITS.maxPastMs). */
export const EVICTED_RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface KeyedFoldOptions<E, R> {
  name: string;
  group: string;
  topic: string;
  /** The key events are folded by (view_id, job id); undefined sends the event to dead letters. */
  keyOf(event: E): string | undefined;
  /** Rebuilds the record from all events of a key (pure, order-independent). */
  compute(events: E[], opts: { timedOut: boolean }): R;
  isFinal(record: R): boolean;
  upsert(records: R[]): Promise<void>;
  /** A key with no event for this long is finalised with `timedOut`. */
  timeoutMs: number;
  /** How long a final key stays in memory for late duplicates before it is dropped. */
  graceMs?: number;
  /** Snapshot (and commit) at most this often per partition. */
  snapshotEveryMs?: number;
  /**
   * Events that may join a key but never start one (CMCD reports join the SDK's view when it
   * exists; on their own they are no view). They are skipped when their key is unknown.
   */
  joinsOnly?(event: E): boolean;
  /** How long an evicted key can still be brought back by a late event (default EVICTED_RETENTION_MS). */
  evictedRetentionMs?: number;
}

/**
 * A processor that folds each key's events into one record (views per view_id, jobs per job
 * id). Its state is checkpointed in the Archive per partition before the bus position is
 * committed, so a restart (or another instance taking the partition over) resumes with exactly
 * the events it had, and the recomputed records are identical.
 */
export class KeyedFold<E extends { event_id: string }, R> implements Processor {
  readonly name: string;
  readonly group: string;
  readonly topics: string[];
  readonly commit = "manual" as const;
  readonly tickMs = 1000;
  readonly #o: KeyedFoldOptions<E, R>;
  readonly #archive: Archive;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #metrics: ProcessorMetrics;
  readonly #partitions = new Map<string, PartitionState<E>>();

  constructor(
    opts: KeyedFoldOptions<E, R>,
    deps: { archive: Archive; bus: Bus; log: Logger; metrics: ProcessorMetrics },
  ) {
    this.#o = opts;
    this.name = opts.name;
    this.group = opts.group;
    this.topics = [opts.topic];
    this.#archive = deps.archive;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
  }

  #snapshotKey(topic: string, partition: string) {
    return `_state/${this.group}/${topic}/${partition.replaceAll(/[^A-Za-z0-9_-]/g, "_")}.json`;
  }

  /** The state of a partition under the current hold: a new hold starts again from the checkpoint. */
  async #state(topic: string, partition: string, hold: number): Promise<PartitionState<E>> {
    const id = `${topic}\u0000${partition}`;
    let st = this.#partitions.get(id);
    if (st?.hold === hold) return st;
    if (st) this.#log.info({ topic, partition }, `${this.name}: partition taken again, state reloaded`);
    st = { hold, keys: new Map(), evicted: new Map(), dirty: false, lastSnapshotAt: Date.now() };
    const key = this.#snapshotKey(topic, partition);
    if (await this.#archive.exists(key)) {
      const snap = JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as Snapshot<E>;
      for (const k of snap.keys)
        st.keys.set(k.key, {
          events: k.events,
          ids: new Set(k.events.map((e) => e.event_id)),
          final: k.final,
          ...(k.timedOut ? { timedOut: true } : {}),
          lastSeenAt: k.lastSeenAt,
        });
      for (const [k, at] of snap.evicted ?? []) st.evicted.set(k, at);
      this.#log.info({ topic, partition, keys: snap.keys.length }, `${this.name}: state restored from checkpoint`);
    }
    this.#partitions.set(id, st);
    return st;
  }

  /** Whether state kept for a partition may still be used; if not it is dropped. */
  #current(topic: string, partition: string, st: PartitionState<E>, commit: Committer): boolean {
    if (commit.hold(topic, partition) === st.hold) return true;
    // Revoked or taken again: the owner resumes from the last checkpoint; this state must not overwrite it.
    this.#partitions.delete(`${topic}\u0000${partition}`);
    return false;
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const hold = commit.hold(batch.topic, batch.partition);
    if (hold === undefined) throw new StaleBatchError(batch.topic, batch.partition);
    const st = await this.#state(batch.topic, batch.partition, hold);
    const touched = new Set<string>();
    const letters = [];
    const now = Date.now();
    for (const m of batch.messages) {
      const e = decode<E>(m);
      const key = e && typeof e.event_id === "string" ? this.#o.keyOf(e) : undefined;
      if (!e || key === undefined) {
        letters.push(deadLetter(this.name, "not_foldable", `no ${this.name} key in the message`, m, e));
        continue;
      }
      let entry = st.keys.get(key) ?? (await this.#restore(batch.topic, batch.partition, st, key, now));
      if (!entry) {
        if (this.#o.joinsOnly?.(e)) continue;
        entry = { events: [], ids: new Set(), final: false, lastSeenAt: now };
        st.keys.set(key, entry);
      }
      entry.lastSeenAt = now;
      if (entry.ids.has(e.event_id)) continue;
      entry.ids.add(e.event_id);
      entry.events.push(e);
      touched.add(key);
    }
    await publishDeadLetters(this.#bus, letters);
    for (const l of letters) this.#metrics.deadLetters.inc({ processor: this.name, reason: l.reason });
    await this.#recompute(st, [...touched], false);
    const last = batch.messages.at(-1);
    if (last) st.pending = { topic: batch.topic, partition: batch.partition, offset: last.offset };
    st.dirty = true;
    if (Date.now() - st.lastSnapshotAt >= (this.#o.snapshotEveryMs ?? 2000))
      await this.#checkpoint(batch.topic, batch.partition, st, commit);
  }

  #evictedKey(topic: string, partition: string, key: string) {
    const safe = (s: string) => s.replaceAll(/[^A-Za-z0-9_.:-]/g, "_");
    return `_state/${this.group}/evicted/${safe(topic)}/${safe(partition)}/${safe(key)}.json`;
  }

  /** Brings back a key evicted after its grace period, with every event it had. */
  async #restore(topic: string, partition: string, st: PartitionState<E>, key: string, now: number) {
    if (!st.evicted.has(key)) return undefined;
    const object = this.#evictedKey(topic, partition, key);
    const saved = JSON.parse(new TextDecoder().decode(await this.#archive.get(object))) as Evicted<E>;
    const entry: Entry<E> = {
      events: saved.events,
      ids: new Set(saved.events.map((e) => e.event_id)),
      final: true,
      ...(saved.timedOut ? { timedOut: true } : {}),
      lastSeenAt: now,
    };
    st.keys.set(key, entry);
    st.evicted.delete(key);
    st.dirty = true;
    this.#log.info({ topic, partition, key }, `${this.name}: a late event brought back a finished key`);
    return entry;
  }

  async #recompute(st: PartitionState<E>, keys: string[], timedOut: boolean): Promise<void> {
    if (keys.length === 0) return;
    const records: R[] = [];
    for (const k of keys) {
      const entry = st.keys.get(k)!;
      const record = this.#o.compute(entry.events, { timedOut: timedOut || entry.timedOut === true });
      entry.final = this.#o.isFinal(record);
      records.push(record);
    }
    await this.#o.upsert(records);
  }

  async #checkpoint(topic: string, partition: string, st: PartitionState<E>, commit: Committer): Promise<void> {
    if (!this.#current(topic, partition, st, commit) || !st.dirty) return;
    const snap: Snapshot<E> = {
      version: 1,
      ...(st.pending ? { offset: st.pending.offset } : {}),
      keys: [...st.keys].map(([key, e]) => ({
        key,
        events: e.events,
        final: e.final,
        ...(e.timedOut ? { timedOut: true } : {}),
        lastSeenAt: e.lastSeenAt,
      })),
      evicted: [...st.evicted],
    };
    await this.#archive.put(this.#snapshotKey(topic, partition), new TextEncoder().encode(JSON.stringify(snap)), {
      contentType: "application/json",
    });
    if (st.pending) await commit([st.pending]);
    st.dirty = false;
    st.lastSnapshotAt = Date.now();
  }

  /** Finalises keys that went silent, drops finished keys after the grace period, checkpoints. */
  async tick(commit: Committer): Promise<void> {
    const now = Date.now();
    for (const [id, st] of this.#partitions) {
      const [topic, partition] = id.split("\u0000") as [string, string];
      if (!this.#current(topic, partition, st, commit)) continue;
      const silent = [...st.keys]
        .filter(([, e]) => !e.final && now - e.lastSeenAt >= this.#o.timeoutMs)
        .map(([k]) => k);
      if (silent.length > 0) {
        await this.#recompute(st, silent, true);
        for (const k of silent) {
          const e = st.keys.get(k)!;
          e.final = true;
          e.timedOut = true;
        }
        st.dirty = true;
      }
      for (const [k, e] of st.keys)
        if (e.final && now - e.lastSeenAt >= (this.#o.graceMs ?? 10 * 60_000)) {
          // Its events go to the archive before it leaves memory: a late event finds them there.
          const saved: Evicted<E> = { events: e.events, ...(e.timedOut ? { timedOut: true } : {}) };
          await this.#archive.put(
            this.#evictedKey(topic, partition, k),
            new TextEncoder().encode(JSON.stringify(saved)),
            {
              contentType: "application/json",
            },
          );
          st.keys.delete(k);
          st.evicted.set(k, now);
          st.dirty = true;
        }
      const retention = this.#o.evictedRetentionMs ?? EVICTED_RETENTION_MS;
      const expired = [...st.evicted].filter(([, at]) => now - at >= retention).map(([k]) => k);
      if (expired.length > 0) {
        await this.#archive.delete(expired.map((k) => this.#evictedKey(topic, partition, k)));
        for (const k of expired) st.evicted.delete(k);
        st.dirty = true;
      }
      if (now - st.lastSnapshotAt >= (this.#o.snapshotEveryMs ?? 2000))
        await this.#checkpoint(topic, partition, st, commit);
    }
  }

  async flush(commit: Committer): Promise<void> {
    for (const [id, st] of this.#partitions) {
      const [topic, partition] = id.split("\u0000") as [string, string];
      await this.#checkpoint(topic, partition, st, commit);
    }
  }

  /** Keys currently held (for metrics and tests). */
  get size(): number {
    let n = 0;
    for (const st of this.#partitions.values()) n += st.keys.size;
    return n;
  }
}
