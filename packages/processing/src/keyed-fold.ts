import {
  type Archive,
  type Bus,
  boundedPayload,
  type ConsumedBatch,
  type DeadLetter,
  type Position,
  publishDeadLetters,
} from "@reeltime/connectors";
import type { Logger } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import type { Folder } from "./folder.ts";

import { listFolder } from "./list-folder.ts";
import { deadLetter, decode } from "./messages.ts";
import { type Committer, type Processor, type ProcessorMetrics, StaleBatchError } from "./run-processor.ts";
import { type LogObject, type SavedKey, StateLog } from "./state-log.ts";

/**
 * A checkpoint writes a new base (every key) once the deltas written since the last base
 * outweigh it this many times. Each base costs as much as the deltas since the one before
 * divided by this ratio (at 1, when most keys change between two checkpoints, a base went out
 * about every other checkpoint: half the checkpoint work); a restore reads at most 1 + this
 * ratio times the state, and the archive holds as much until the next base prunes the log.
 */
export const REBASE_RATIO = 4;

/** Dead-letter reason of a key whose record cannot be computed from its events. */
export const UNFIT_KEY = "record_failed";

interface Entry<S> {
  state: S;
  final: boolean;
  /** Finalised because it went silent (computed with `timedOut` from then on). */
  timedOut?: boolean;
  /** Wall-clock ms of the last event received for this key. */
  lastSeenAt: number;
}

interface PartitionState<S> {
  /** The hold on the partition this state was built in (Committer.hold). */
  hold: number;
  keys: Map<string, Entry<S>>;
  log: StateLog;
  /** Number of the last checkpoint object written. */
  n: number;
  baseBytes: number;
  deltaBytes: number;
  /** Keys whose state changed / that left memory since the last checkpoint. */
  changed: Set<string>;
  removed: Set<string>;
  /** Keys whose record must be written (cleared once the store took them). */
  touched: Set<string>;
  /** Highest offset folded in, not yet committed. */
  pending?: Position;
  dirty: boolean;
  lastSnapshotAt: number;
}

interface CommonOptions<E, R> {
  name: string;
  group: string;
  topic: string;
  /** The key events are folded by (view_id, job id); undefined sends the event to dead letters. */
  keyOf(event: E): string | undefined;
  isFinal(record: R): boolean;
  upsert(records: R[]): Promise<void>;
  /** A key with no event for this long is finalised with `timedOut`. */
  timeoutMs: number;
  /** How long a final key stays in memory for late duplicates before it is dropped. */
  graceMs?: number;
  /** Checkpoint, write records and commit at most this often per partition. */
  snapshotEveryMs?: number;
}

export type KeyedFoldOptions<E, S, R> = CommonOptions<E, R> &
  (
    | { folder: Folder<E, S, R> }
    | {
        /** Rebuilds the record from all events of a key (pure, order-independent). */
        /** Undefined: the key has no record yet (see Folder.result). */
        compute(events: E[], opts: { timedOut: boolean }): R | undefined;
        /** Events that may join a key but never start one. */
        joinsOnly?(event: E): boolean;
        /** Of those, the ones that may bring back a finished key (Folder.bringsBack). */
        bringsBack?(event: E): boolean;
      }
  );

/**
 * A processor that folds each key's events into one record (views per view_id, jobs per job
 * id). Its state is checkpointed in the Archive per partition as a log (runtime/state-log.ts:
 * only what changed since the last checkpoint), then the records of the keys that changed are
 * written, then the bus position is committed. So a record in the store never runs ahead of
 * the checkpoint: a restart (or another instance taking the partition over) resumes with
 * exactly the state it had, and a key absent from the checkpoint whose record exists is one
 * that left memory after its grace period (Folder.recall brings it back).
 */
export class KeyedFold<E extends { event_id: string }, R, S = unknown> implements Processor {
  readonly name: string;
  readonly group: string;
  readonly topics: string[];
  readonly commit = "manual" as const;
  readonly tickMs = 1000;
  readonly #o: CommonOptions<E, R>;
  readonly #f: Folder<E, S, R>;
  readonly #archive: Archive;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #metrics: ProcessorMetrics;
  readonly #partitions = new Map<string, PartitionState<S>>();
  /** Per partition, the hold under which another owner wrote the checkpoint log (see #checkpoint). */
  readonly #lost = new Map<string, number>();

  constructor(
    opts: KeyedFoldOptions<E, S, R>,
    deps: { archive: Archive; bus: Bus; log: Logger; metrics: ProcessorMetrics },
  ) {
    this.#o = opts;
    this.#f =
      "folder" in opts
        ? opts.folder
        : (listFolder<E, R>(opts.compute, {
            archive: deps.archive,
            group: opts.group,
            ...(opts.joinsOnly ? { joinsOnly: opts.joinsOnly } : {}),
            ...(opts.bringsBack ? { bringsBack: opts.bringsBack } : {}),
          }) as unknown as Folder<E, S, R>);
    this.name = opts.name;
    this.group = opts.group;
    this.topics = [opts.topic];
    this.#archive = deps.archive;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
  }

  /**
   * The state of a partition under the current hold: a new hold starts again from the
   * checkpoint, and claims the log before anything is folded (see #claim). A hold under which
   * another owner wrote the log is over for this instance: its batches are refused until the
   * partition is assigned here again (the bus then re-reads from the last commit).
   */
  async #state(topic: string, partition: string, hold: number): Promise<PartitionState<S>> {
    const id = `${topic}\u0000${partition}`;
    const held = this.#partitions.get(id);
    if (held?.hold === hold) return held;
    if (this.#lost.get(id) === hold) throw new StaleBatchError(topic, partition);
    if (held) this.#log.info({ topic, partition }, `${this.name}: partition taken again, state reloaded`);
    for (let attempt = 1; ; attempt++) {
      const st = await this.#restore(topic, partition, hold);
      if (await this.#claim(topic, partition, st)) {
        this.#partitions.set(id, st);
        return st;
      }
      // Someone wrote the log since it was read (an owner that has not yet noticed it lost the
      // partition): nothing was folded here, so reading it again loses nothing.
      if (attempt >= 5) throw new StaleBatchError(topic, partition);
    }
  }

  /**
   * Writes the next log object right after a restore, before any event is folded: from then on
   * a previous owner still running (its session expired mid-batch, it does not know yet) can
   * only collide with this instance's numbers, never write its state into this lineage.
   * Without it the previous owner could take the next number first; the new owner then had to
   * drop state it had folded from batches the bus would not deliver again.
   */
  async #claim(topic: string, partition: string, st: PartitionState<S>): Promise<boolean> {
    const base = st.n < 0;
    const n = st.n + 1;
    const obj: LogObject = {
      version: 2,
      kind: base ? "base" : "delta",
      n,
      put: base
        ? [...st.keys].map(([key, e]) => ({
            key,
            state: this.#f.save(e.state),
            final: e.final,
            ...(e.timedOut ? { timedOut: true } : {}),
            lastSeenAt: e.lastSeenAt,
          }))
        : [],
      del: [],
      touched: [...st.touched],
    };
    const { stored, bytes, n: written } = await st.log.write(obj);
    if (!stored) {
      this.#log.info({ topic, partition, n }, `${this.name}: checkpoint ${n} written meanwhile, state read again`);
      return false;
    }
    st.n = written;
    if (base) {
      st.baseBytes = bytes;
      st.deltaBytes = 0;
      st.changed.clear();
    } else st.deltaBytes += bytes;
    return true;
  }

  /** The partition's state as its checkpoint log has it. */
  async #restore(topic: string, partition: string, hold: number): Promise<PartitionState<S>> {
    const safe = partition.replaceAll(/[^A-Za-z0-9_-]/g, "_");
    const log = new StateLog(
      this.#archive,
      `_state/${this.group}/${topic}/${safe}`,
      `_state/${this.group}/${topic}/${safe}.json`,
    );
    const restored = await log.restore();
    const st: PartitionState<S> = {
      hold,
      keys: new Map(),
      log,
      n: restored.n,
      baseBytes: restored.baseBytes,
      deltaBytes: restored.deltaBytes,
      changed: new Set(),
      removed: new Set(),
      touched: new Set(restored.touched),
      dirty: restored.touched.length > 0,
      lastSnapshotAt: Date.now(),
    };
    for (const k of restored.keys.values())
      st.keys.set(k.key, {
        state: this.#f.load(k.state),
        final: k.final,
        ...(k.timedOut ? { timedOut: true } : {}),
        lastSeenAt: k.lastSeenAt,
      });
    // A checkpoint from before the log: every key with its events, folded again.
    for (const k of restored.legacy ?? []) {
      const events = k.events as E[];
      const state = events[0] === undefined ? undefined : this.#f.start(events[0]);
      if (state === undefined) continue;
      for (const e of events) this.#f.add(state, e, k.lastSeenAt);
      st.keys.set(k.key, {
        state,
        final: k.final,
        ...(k.timedOut ? { timedOut: true } : {}),
        lastSeenAt: k.lastSeenAt,
      });
      st.changed.add(k.key);
      st.dirty = true;
    }
    if (st.keys.size > 0)
      this.#log.info({ topic, partition, keys: st.keys.size }, `${this.name}: state restored from checkpoint`);
    return st;
  }

  /** Whether state kept for a partition may still be used; if not it is dropped. */
  #current(topic: string, partition: string, st: PartitionState<S>, commit: Committer): boolean {
    if (commit.hold(topic, partition) === st.hold) return true;
    // Revoked or taken again: the owner resumes from the last checkpoint; this state must not overwrite it.
    this.#partitions.delete(`${topic}\u0000${partition}`);
    return false;
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const hold = commit.hold(batch.topic, batch.partition);
    if (hold === undefined) throw new StaleBatchError(batch.topic, batch.partition);
    const st = await this.#state(batch.topic, batch.partition, hold);
    const letters: DeadLetter[] = [];
    // Each event's key beside it in a second array: no pair allocated per event.
    const keys: string[] = [];
    const events: E[] = [];
    for (const m of batch.messages) {
      const e = decode<E>(m);
      const key = e && typeof e.event_id === "string" ? this.#o.keyOf(e) : undefined;
      if (!e || key === undefined) {
        letters.push(deadLetter(this.name, "not_foldable", `no ${this.name} key in the message`, m, e));
        continue;
      }
      keys.push(key);
      events.push(e);
    }
    if (letters.length > 0) {
      await publishDeadLetters(this.#bus, letters);
      for (const l of letters) this.#metrics.deadLetters.inc({ processor: this.name, reason: l.reason });
    }

    // Keys not in memory are looked up once each, and only for events that could start one: a
    // stream of reports that only join (CMCD with another player's session id) costs no lookup.
    let lookup: Set<string> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (st.keys.has(k) || lookup?.has(k)) continue;
      const e = events[i]!;
      if (this.#f.start(e) === undefined && this.#f.bringsBack?.(e) !== true) continue;
      lookup ??= new Set();
      lookup.add(k);
    }
    const where = { topic: batch.topic, partition: batch.partition };
    const recalled =
      lookup !== undefined && this.#f.recall ? await this.#f.recall([...lookup], where) : new Map<string, S>();
    const now = Date.now();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const e = events[i]!;
      let entry = st.keys.get(key);
      if (!entry) {
        const back = recalled.get(key);
        const state = back ?? this.#f.start(e);
        if (state === undefined) continue;
        entry = { state, final: back !== undefined, lastSeenAt: now };
        st.keys.set(key, entry);
        if (back !== undefined)
          this.#log.info({ ...where, key }, `${this.name}: a late event brought back a finished key`);
      }
      entry.lastSeenAt = now;
      st.changed.add(key);
      if (this.#f.add(entry.state, e, now)) st.touched.add(key);
    }
    const last = batch.messages.at(-1);
    if (last) st.pending = { topic: batch.topic, partition: batch.partition, offset: last.offset };
    st.dirty = true;
    if (Date.now() - st.lastSnapshotAt >= (this.#o.snapshotEveryMs ?? 2000))
      await this.#checkpoint(batch.topic, batch.partition, st, commit);
  }

  /**
   * Checkpoint, then records, then commit: the log object with what changed, the records of the
   * keys touched since the last checkpoint, the bus position.
   */
  async #checkpoint(topic: string, partition: string, st: PartitionState<S>, commit: Committer): Promise<void> {
    if (!this.#current(topic, partition, st, commit) || !st.dirty) return;
    const records = new Map<string, R>();
    const unfit: DeadLetter[] = [];
    for (const k of st.touched) {
      const entry = st.keys.get(k);
      if (!entry) continue;
      let record: R | undefined;
      try {
        record = this.#f.result(entry.state, { timedOut: entry.timedOut === true });
      } catch (err) {
        // The record is a pure function of the key's state: it fails the same way on every
        // checkpoint, so the key is dead-lettered and dropped instead of stopping the partition.
        unfit.push(this.#keyLetter(topic, k, entry, err));
        st.keys.delete(k);
        st.changed.delete(k);
        st.removed.add(k);
        continue;
      }
      if (record === undefined) {
        // No record yet: the state is kept (checkpointed) until it becomes one or times out.
        if (entry.timedOut) {
          st.keys.delete(k);
          st.changed.delete(k);
          st.removed.add(k);
        } else st.changed.add(k);
        continue;
      }
      entry.final = this.#o.isFinal(record);
      records.set(k, record);
      st.changed.add(k);
    }
    if (unfit.length > 0) {
      await publishDeadLetters(this.#bus, unfit);
      this.#metrics.deadLetters.inc({ processor: this.name, reason: UNFIT_KEY }, unfit.length);
      this.#log.warn(
        { topic, partition, keys: unfit.length, first: unfit[0]?.message },
        `${this.name}: keys whose record cannot be computed went to dead letters; the partition moves on`,
      );
    }
    // Two literals rather than a spread of an optional field: the same keys in the same order.
    const save = (key: string, e: Entry<S>): SavedKey =>
      e.timedOut
        ? { key, state: this.#f.save(e.state), final: e.final, timedOut: true, lastSeenAt: e.lastSeenAt }
        : { key, state: this.#f.save(e.state), final: e.final, lastSeenAt: e.lastSeenAt };
    const base = st.n < 0 || st.deltaBytes > Math.max(REBASE_RATIO * st.baseBytes, 64 * 1024);
    const n = st.n + 1;
    const obj: LogObject = {
      version: 2,
      kind: base ? "base" : "delta",
      n,
      ...(st.pending ? { offset: st.pending.offset } : {}),
      put: base
        ? [...st.keys].map(([k, e]) => save(k, e))
        : [...st.changed].flatMap((k) => {
            const e = st.keys.get(k);
            return e ? [save(k, e)] : [];
          }),
      del: base ? [] : [...st.removed].filter((k) => !st.keys.has(k)),
      touched: [...records.keys()],
    };
    const { stored, bytes, n: written } = await st.log.write(obj);
    if (!stored) {
      // Another instance wrote this number since this one claimed the log: an owner that had
      // not yet noticed losing the partition (it restored after this instance's claim, so its
      // claim went on top), or a newer owner. What was folded here is dropped and nothing more
      // is folded under this hold; the bus delivers the partition again from the last commit
      // under a new hold, which restores the log as it now stands and claims it again. (Waiting
      // for a reassignment instead left the partition stalled for good when this instance was
      // the rightful owner: nothing would ever reassign it.)
      this.#log.warn(
        { topic, partition, n },
        `${this.name}: checkpoint ${n} was written by another instance; the partition is read again from its last commit`,
      );
      this.#partitions.delete(`${topic}\u0000${partition}`);
      this.#lost.set(`${topic}\u0000${partition}`, st.hold);
      await commit.reread(topic, partition);
      return;
    }
    st.n = written;
    if (base) {
      st.baseBytes = bytes;
      st.deltaBytes = 0;
      await st.log.prune(written);
    } else st.deltaBytes += bytes;
    st.changed.clear();
    st.removed.clear();
    if (records.size > 0) await this.#o.upsert([...records.values()]);
    st.touched.clear();
    if (st.pending) await commit([st.pending]);
    st.dirty = false;
    st.lastSnapshotAt = Date.now();
  }

  /** A dead letter for a key whose record cannot be computed, with its saved state (bounded). */
  #keyLetter(topic: string, key: string, entry: Entry<S>, err: unknown): DeadLetter {
    let state: unknown;
    try {
      state = this.#f.save(entry.state);
    } catch {
      state = undefined;
    }
    // The tenant, when the state carries it (a list folder keeps the key's events).
    const app = ((Array.isArray(state) ? state[0] : state) as { app_id?: unknown } | undefined)?.app_id;
    return {
      dead_letter_id: uuidv7(),
      stage: this.name,
      reason: UNFIT_KEY,
      message: `${this.name}: no record for key ${key}: ${(err as Error)?.message ?? String(err)}`.slice(0, 2000),
      topic,
      ...(typeof app === "string" ? { app_id: app } : {}),
      payload: boundedPayload({ key, state }),
      received_at: new Date().toISOString(),
    };
  }

  /** Finalises keys that went silent, settles held-back events, drops finished keys after the grace period, checkpoints. */
  async tick(commit: Committer): Promise<void> {
    const now = Date.now();
    for (const [id, st] of this.#partitions) {
      const [topic, partition] = id.split("\u0000") as [string, string];
      if (!this.#current(topic, partition, st, commit)) continue;
      const grace = this.#o.graceMs ?? 10 * 60_000;
      for (const [k, e] of st.keys) {
        if (this.#f.settle?.(e.state, now)) {
          st.touched.add(k);
          st.dirty = true;
        }
        if (!e.final && now - e.lastSeenAt >= this.#o.timeoutMs) {
          e.final = true;
          e.timedOut = true;
          st.touched.add(k);
          st.dirty = true;
        } else if (e.final && !st.touched.has(k) && now - e.lastSeenAt >= grace) {
          await this.#f.evict?.(k, e.state, { topic, partition });
          st.keys.delete(k);
          st.changed.delete(k);
          st.removed.add(k);
          st.dirty = true;
        }
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
