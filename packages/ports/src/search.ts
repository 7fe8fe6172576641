import type { DeadLetter, JobRecord, ReeltimeEvent, VideoRecord, ViewRecord } from "@reeltime/events";
import type { Lifecycle } from "./common.ts";

/** Filters shared by lastN and search. Values are matched exactly; callers never pass query DSL. */
export interface EventFilter {
  app_id?: string;
  view_id?: string;
  session_id?: string;
  viewer_id?: string;
  video_id?: string;
  job_id?: string;
  /** Exact event types, e.g. ["playback.error"]. */
  event_types?: string[];
  /** Inclusive lower and exclusive upper bound on `received_at`. */
  from?: Date;
  to?: Date;
}

/** An event as stored: `received_at` is always set by the time it is indexed. */
export type StoredEvent = ReeltimeEvent & { received_at: string };

export interface Rejected {
  event_id: string;
  /** The store's reason, e.g. "mapper_parsing_exception: failed to parse field [seq]". */
  reason: string;
  status?: number;
  /** The original document, for the dead-letter stream. */
  event: unknown;
}

export interface IndexResult {
  /** Newly written. */
  indexed: number;
  /** Already present (same event_id): a no-op, counted as success. */
  duplicates: number;
  /** Refused for a reason retrying will not fix: returned, never dropped. */
  rejected: Rejected[];
}

export interface SearchHit {
  event: StoredEvent;
  score: number;
}

/** The dead-letter record is the contract's (DeadLetterRecord in @reeltime/events). */
export type { DeadLetter };

/** Exact reason/stage; `since` inclusive and `until` exclusive on `received_at`. */
export interface DeadLetterFilter {
  reason?: string;
  stage?: string;
  since?: Date;
  until?: Date;
}

/**
 * The search store (Elasticsearch or embedded). Writes are idempotent by `event_id`;
 * transient failures (429/5xx, unreachable) throw a retryable ReeltimeError after retries.
 */
export interface SearchStore extends Lifecycle {
  readonly driver: string;
  /** Installs templates/ILM (Elasticsearch) or opens files (embedded). Idempotent. */
  init(): Promise<void>;
  index(events: StoredEvent[]): Promise<IndexResult>;
  /** Newest first by `received_at` (ties by `event_id`), at most `n` (0 to 10,000, else REELTIME_ERR_SEARCH_LIMIT). */
  lastN(filter: EventFilter, n: number): Promise<StoredEvent[]>;
  /** Typo-tolerant search over video titles, error messages, page URLs and job errors. */
  search(text: string, filter: EventFilter, n: number): Promise<SearchHit[]>;
  /** Makes everything written so far visible to reads (tests and replays). */
  refresh(): Promise<void>;
  /** Replaces each record by id (`view_id`, `job_id`); a record the mapping refuses throws REELTIME_ERR_SEARCH_REJECTED. */
  upsertViews(records: ViewRecord[]): Promise<void>;
  upsertJobs(records: JobRecord[]): Promise<void>;
  /**
   * Replaces each catalogue video by (`app_id`, `video_id`): the public record, never the
   * owner's email (the catalogue keeps that). Written by the catalogue updater.
   */
  upsertVideos(records: VideoRecord[]): Promise<void>;
  getView(viewId: string): Promise<ViewRecord | undefined>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  getVideo(appId: string, videoId: string): Promise<VideoRecord | undefined>;
  /** Idempotent by `dead_letter_id`. */
  indexDeadLetters(letters: DeadLetter[]): Promise<void>;
  /** Newest first by `received_at` (ties by `dead_letter_id`), at most `n`. */
  deadLetters(filter: DeadLetterFilter, n: number): Promise<DeadLetter[]>;
}
