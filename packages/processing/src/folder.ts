/**
 * How one key's events become its state and its record. The state is what a checkpoint keeps
 * of the key, so it should stay small whatever the number of events (the sessionizer folds
 * into QoE accumulators); `listFolder` keeps every event for folds that recompute.
 */
export interface Folder<E, S, R> {
  /** A new key's empty state, for its first event; undefined: this event never starts a key. */
  start(event: E): S | undefined;
  /** Adds one event; false when it changed nothing (a duplicate). */
  add(state: S, event: E, now: number): boolean;
  /**
   * The key's record as it stands; `timedOut` when the key went silent. Undefined: the key has
   * no record yet (it waits for an event that makes it one); timed out so, it is dropped.
   */
  result(state: S, opts: { timedOut: boolean }): R | undefined;
  /** Time-driven work (events held back whose wait ran out); true when the record changed. */
  settle?(state: S, now: number): boolean;
  /**
   * The state of keys this partition no longer holds (dropped after their grace period), from
   * where their records are kept; a key missing from the answer starts afresh. A late event
   * then updates what the key had instead of replacing it.
   */
  recall?(keys: string[], where: { topic: string; partition: string }): Promise<Map<string, S>>;
  /**
   * Whether an event that cannot start a key may still bring back a finished one from where
   * `recall` keeps it (default: no, so reports that only join cost no lookup). The CDN's totals
   * of a view come up to a day late, long after the view left memory.
   */
  bringsBack?(event: E): boolean;
  /** Called before a final key leaves memory after its grace period. */
  evict?(key: string, state: S, where: { topic: string; partition: string }): Promise<void>;
  /** The state as a plain JSON value, and back. */
  save(state: S): unknown;
  load(saved: unknown): S;
}
