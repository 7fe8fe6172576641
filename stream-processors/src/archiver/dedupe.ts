/** What a dedupe window holds when written out: event_id and the start of the hour it was received (ms). */
export type WindowState = [string, number][];

const HOUR = 3_600_000;

/**
 * The event_ids a bus partition archived lately, for its open hours: a client's retry or a
 * replay republishes an event with the same event_id, and Parquet must hold it once. Bounded
 * twice: by time received (ids of hours more than `hours` before the newest hour seen are
 * forgotten: a retry comes sooner, and compaction keeps one row per event_id in closed hours)
 * and by count (the oldest ids go first).
 */
export class DedupeWindow {
  readonly #ids = new Map<string, number>();
  readonly #hours: number;
  readonly #max: number;
  #newest = 0;

  constructor(opts: { hours?: number; maxIds?: number } = {}, state: WindowState = []) {
    this.#hours = opts.hours ?? 2;
    this.#max = opts.maxIds ?? 100_000;
    for (const [id, hour] of state) this.#put(id, hour);
    this.#prune();
  }

  get size(): number {
    return this.#ids.size;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers an id with the time it was received (ms; NaN counts as the newest hour). */
  add(id: string, eventMs: number): void {
    const hour = Number.isFinite(eventMs) ? Math.floor(eventMs / HOUR) * HOUR : this.#newest;
    const newest = this.#newest;
    this.#put(id, hour);
    // A full pass only when a newer hour opens; otherwise only the count bound.
    if (this.#newest !== newest) this.#prune();
    else if (this.#ids.size > this.#max) this.#ids.delete(this.#ids.keys().next().value as string);
  }

  #put(id: string, hour: number) {
    this.#ids.delete(id);
    this.#ids.set(id, hour);
    if (hour > this.#newest) this.#newest = hour;
  }

  #prune() {
    const oldest = this.#newest - this.#hours * HOUR;
    for (const [id, hour] of this.#ids) if (hour < oldest) this.#ids.delete(id);
    while (this.#ids.size > this.#max) this.#ids.delete(this.#ids.keys().next().value as string);
  }

  clone(): DedupeWindow {
    return new DedupeWindow({ hours: this.#hours, maxIds: this.#max }, this.toJSON());
  }

  toJSON(): WindowState {
    return [...this.#ids];
  }
}
