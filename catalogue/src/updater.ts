import type { Bus, ConsumedBatch, ConsumedMessage, DeadLetter } from "@reeltime/connectors";
import { type Database, migrate } from "@reeltime/database";
import { TOPICS, type VideoRecord, validateEvent } from "@reeltime/events";
import { ContentError, deadLetter, decode, type Processor, publishDeadLetters } from "@reeltime/processing";
import { MIGRATIONS, OWNER } from "./migrations.ts";
import {
  type CatalogueEvent,
  mergeStates,
  publicRecord,
  recordOf,
  stateOf,
  type VideoState,
  videoKey,
} from "./state.ts";
import { upsertVideo } from "./store.ts";

/** Where the updater writes the public video records so titles are searchable (the SearchStore's videos index). */
export interface VideoIndex {
  upsertVideos(records: VideoRecord[]): Promise<void>;
}

/**
 * Where the updater archives the public video records for analytics (the `videos` table of the
 * archive, joined to the views by video id): each record carries its row's `revision`, and the
 * archive may hold a video many times, readers keeping the highest revision. The stream
 * processors' `createVideoRecordArchive` writes them as Parquet under `records/videos/`.
 */
export interface VideoRecordArchive {
  archiveVideos(records: VideoRecord[]): Promise<void>;
}

export interface CatalogueDeps {
  db: Database;
  bus: Bus;
  search: VideoIndex;
  /** Absent: the records are not archived. */
  archive?: VideoRecordArchive;
}

const STAGE = "catalogue";

/**
 * SQLSTATE classes of a statement PostgreSQL refuses for the values it holds: data exceptions
 * (22: a NUL in a string, a number out of range), integrity (23) and program limits (54: a value
 * too large). The same event fails on every retry, so it is content: the runtime hands the
 * batch over message by message and the one that fails goes to dead letters.
 */
const CONTENT_SQLSTATE = /^(22|23|54)/;

async function asContent<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && CONTENT_SQLSTATE.test(code))
      throw new ContentError(`${what}: PostgreSQL refused the values (${code}): ${(err as Error).message}`, {
        cause: err,
      });
    throw err;
  }
}
const FAMILIES = ["upload.", "job."];

/** The event a message holds, or the dead letter saying why it cannot be handled. */
function read(m: ConsumedMessage): { event: CatalogueEvent } | { letter: DeadLetter } | { skip: string } {
  const raw = decode(m);
  if (raw === undefined)
    return { letter: deadLetter(STAGE, "not_json", "the message is not a JSON event", m, undefined) };
  const type = raw.event_type;
  if (typeof type !== "string" || !FAMILIES.some((f) => type.startsWith(f)))
    return {
      letter: deadLetter(STAGE, "not_a_catalogue_event", `${String(type)} is not an upload.* or job.* event`, m, raw),
    };
  // Checked against the event's own clock: a replay of old events is not refused for its age.
  const ts = typeof raw.client_ts === "string" ? new Date(raw.client_ts) : undefined;
  const checked = validateEvent(raw, 0, ts && !Number.isNaN(ts.getTime()) ? { now: ts } : {});
  if (!checked.ok)
    return {
      letter: deadLetter(STAGE, "schema", checked.errors.map((e) => `${e.pointer} ${e.message}`).join("; "), m, raw),
    };
  const event = checked.event as CatalogueEvent;
  const key = videoKey(event);
  return "skip" in key ? key : { event };
}

/**
 * The catalogue updater: consumer group `reeltime-catalogue` over the upload and job topics.
 * Each batch's events are folded per video (catalogue/src/state.ts) and merged into the videos
 * table (one transaction per video), then the public records (no owner email) go to search and,
 * with their row's revision, to the archive when one is given.
 * A message it cannot read, or whose values PostgreSQL refuses (reason `unprocessable`, through
 * the runtime's message-by-message retry), goes to dead letters and the partition moves on; an
 * event about no video of an app (a local `pipeline run` without app) is skipped. A database or
 * search outage fails the batch with a retryable error: nothing is committed, the batch comes
 * again, and the merge makes that harmless.
 */
export class CatalogueUpdater implements Processor {
  readonly name = "catalogue";
  readonly group = "reeltime-catalogue";
  readonly topics = [TOPICS.upload, TOPICS.job];
  readonly commit = "after-handler" as const;
  readonly #deps: CatalogueDeps;

  constructor(deps: CatalogueDeps) {
    this.#deps = deps;
  }

  async handle(batch: ConsumedBatch): Promise<void> {
    const letters: DeadLetter[] = [];
    const states = new Map<string, VideoState>();
    for (const m of batch.messages) {
      const r = read(m);
      if ("letter" in r) letters.push(r.letter);
      if (!("event" in r)) continue;
      const s = stateOf(r.event);
      if (s === undefined) continue;
      const k = `${s.app_id}\u0000${s.video_id}`;
      const had = states.get(k);
      states.set(k, had === undefined ? s : mergeStates(had, s));
    }
    // Every video of the batch goes to search and the archive, changed or not: a batch delivered
    // again after either failed finds the rows already merged and must still write their records.
    const records: VideoRecord[] = [];
    const revisions: number[] = [];
    for (const s of states.values()) {
      const { state, revision } = await asContent(`video ${s.app_id}/${s.video_id}`, () =>
        upsertVideo(this.#deps.db, s),
      );
      records.push(publicRecord(recordOf(state)));
      revisions.push(revision);
    }
    if (records.length > 0) {
      await this.#deps.search.upsertVideos(records);
      await this.#deps.archive?.archiveVideos(records.map((r, i) => ({ ...r, revision: revisions[i]! })));
    }
    await publishDeadLetters(this.#deps.bus, letters);
  }
}

/** The catalogue updater as a Processor, for `runProcessor` (run its migrations first: `migrateCatalogue`). */
export function catalogueUpdater(deps: CatalogueDeps): Processor {
  return new CatalogueUpdater(deps);
}

/** Brings the catalogue's tables up to date (run at start by the updater and the read API). */
export function migrateCatalogue(db: Database): Promise<{ applied: number[] }> {
  return migrate(db, OWNER, MIGRATIONS);
}
