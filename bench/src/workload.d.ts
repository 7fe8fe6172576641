import { type ReeltimeEvent } from "@reeltime/events";
export interface WorkloadOptions {
  app: string;
  /** First event time (ms since epoch); views start 7 ms apart. */
  t0?: number;
  /** Stamp `received_at` and `client` as ingest would (for the bus and the store; not for HTTP bodies). */
  stamped?: boolean;
  /** Deterministic event ids `<tag>-0000-7000-8000-<index>` (reloadable data sets) instead of random UUIDv7. */
  idTag?: string;
  /** Distinguishes view ids between calls with the same app (chunks of a large data set). */
  viewTag?: string;
}
/**
 * `count` events of a realistic mix: per view a start, startup, heartbeats (with rendition and
 * display), a stall for one view in three, a pause for one in four, a milestone, an end; a
 * click for one view in five. The same shape as the processors' drill workload.
 */
export declare function workload(count: number, o: WorkloadOptions): ReeltimeEvent[];
