import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { type JobRecord, type VideoRecord, type ViewRecord, withoutPrivateFields } from "@reeltime/events";
import type {
  DeadLetter,
  DeadLetterFilter,
  EventFilter,
  Health,
  IndexResult,
  Rejected,
  SearchHit,
  SearchStore,
  StoredEvent,
} from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";
import { checkDeadLetter, checkFilter, checkLimit, isRejected, route, videoDocId } from "../common.ts";
import { deadLetterMatcher, eventMatcher } from "./filter.ts";
import { NdjsonLog } from "./log.ts";
import { deadLetterProblem, mappingProblem } from "./mapping.ts";
import { Table } from "./records.ts";
import { type Entry, insertSorted, lowerBound } from "./sorted.ts";
import { TextIndex } from "./text.ts";

/**
 * The SearchStore on local files under `<dir>`: append-only JSON-lines logs (events, views,
 * jobs, dead letters) replayed into memory at start, with a fuzzy full-text index.
 */
export class EmbeddedSearchStore implements SearchStore {
  readonly driver = "embedded";
  readonly dir: string;
  readonly #events: NdjsonLog<StoredEvent>;
  readonly #byId = new Map<string, Entry<StoredEvent>>();
  readonly #ordered: Entry<StoredEvent>[] = [];
  #text = new TextIndex();
  readonly #views: Table<"views">;
  readonly #jobs: Table<"jobs">;
  readonly #videos: Table<"videos">;
  readonly #letters: NdjsonLog<DeadLetter>;
  readonly #letterIds = new Set<string>();
  readonly #letterList: Entry<DeadLetter>[] = [];
  #opening: Promise<void> | undefined;
  /** Writes are serialised so the in-memory view and the files never disagree. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
    this.#events = new NdjsonLog<StoredEvent>(join(dir, "events.ndjson"));
    this.#views = new Table("views", dir);
    this.#jobs = new Table("jobs", dir);
    this.#videos = new Table("videos", dir);
    this.#letters = new NdjsonLog<DeadLetter>(join(dir, "dead-letters.ndjson"));
  }

  start(): Promise<void> {
    this.#opening ??= this.#open().catch((err) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  init(): Promise<void> {
    return this.start();
  }

  async #open(): Promise<void> {
    this.#byId.clear();
    this.#ordered.length = 0;
    this.#text = new TextIndex();
    for (const e of await this.#events.open()) this.#add(e, Date.parse(e.received_at));
    await this.#views.open();
    await this.#jobs.open();
    await this.#videos.open();
    this.#letterIds.clear();
    this.#letterList.length = 0;
    for (const l of await this.#letters.open()) this.#addLetter(l, Date.parse(l.received_at));
  }

  #add(event: StoredEvent, ms: number): void {
    const entry = { ms, id: event.event_id, doc: event };
    this.#byId.set(entry.id, entry);
    insertSorted(this.#ordered, entry);
    this.#text.add(event);
  }

  #addLetter(l: DeadLetter, ms: number): void {
    this.#letterIds.add(l.dead_letter_id);
    insertSorted(this.#letterList, { ms, id: l.dead_letter_id, doc: l });
  }

  #write<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(async () => {
      await this.start();
      return fn();
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async health(): Promise<Health> {
    try {
      await this.start();
      await access(this.dir, constants.W_OK);
      return { ok: true, driver: this.driver, detail: `${this.#byId.size} events in ${this.dir}` };
    } catch (err) {
      return { ok: false, driver: this.driver, detail: (err as Error).message };
    }
  }

  index(incoming: StoredEvent[]): Promise<IndexResult> {
    // The search copy never holds the contract's private fields (the archive keeps them).
    const events = incoming.map(withoutPrivateFields);
    return this.#write(async () => {
      const rejected: Rejected[] = [];
      const fresh: { event: StoredEvent; ms: number }[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      for (const event of events) {
        const r = route(event);
        if (isRejected(r)) {
          rejected.push(r);
          continue;
        }
        if (this.#byId.has(event.event_id) || seen.has(event.event_id)) {
          duplicates++;
          continue;
        }
        const problem = mappingProblem(r.family, event);
        if (problem) {
          rejected.push({ event_id: event.event_id, reason: problem, status: 400, event });
          continue;
        }
        seen.add(event.event_id);
        fresh.push({ event: structuredClone(event), ms: r.receivedMs });
      }
      await this.#events.append(fresh.map((f) => f.event));
      for (const f of fresh) this.#add(f.event, f.ms);
      return { indexed: fresh.length, duplicates, rejected };
    });
  }

  async lastN(filter: EventFilter, n: number): Promise<StoredEvent[]> {
    checkLimit(n);
    await this.start();
    const match = eventMatcher(checkFilter(filter));
    const out: StoredEvent[] = [];
    const end = filter.to ? lowerBound(this.#ordered, filter.to.getTime()) : this.#ordered.length;
    const startMs = filter.from?.getTime() ?? Number.NEGATIVE_INFINITY;
    for (let i = end - 1; i >= 0 && out.length < n; i--) {
      const e = this.#ordered[i]!;
      if (e.ms < startMs) break;
      if (match(e.doc, e.ms)) out.push(structuredClone(e.doc));
    }
    return out;
  }

  async search(text: string, filter: EventFilter, n: number): Promise<SearchHit[]> {
    checkLimit(n);
    await this.start();
    const match = eventMatcher(checkFilter(filter));
    const keep = (id: string) => {
      const e = this.#byId.get(id);
      return e !== undefined && match(e.doc, e.ms);
    };
    return this.#text
      .search(text, keep, n)
      .map((h) => ({ event: structuredClone(this.#byId.get(h.id)!.doc), score: h.score }));
  }

  /** Writes are visible as soon as they are acknowledged; this only waits for writes in flight. */
  async refresh(): Promise<void> {
    await this.#writes;
  }

  upsertViews(records: ViewRecord[]): Promise<void> {
    return this.#write(() => this.#views.upsert(records));
  }

  upsertJobs(records: JobRecord[]): Promise<void> {
    return this.#write(() => this.#jobs.upsert(records));
  }

  upsertVideos(records: VideoRecord[]): Promise<void> {
    return this.#write(() => this.#videos.upsert(records));
  }

  async getView(viewId: string): Promise<ViewRecord | undefined> {
    await this.start();
    const r = this.#views.rows.get(viewId);
    return r && structuredClone(r);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    await this.start();
    const r = this.#jobs.rows.get(jobId);
    return r && structuredClone(r);
  }

  async getVideo(appId: string, videoId: string): Promise<VideoRecord | undefined> {
    await this.start();
    const r = this.#videos.rows.get(videoDocId({ app_id: appId, video_id: videoId }));
    return r && structuredClone(r);
  }

  indexDeadLetters(letters: DeadLetter[]): Promise<void> {
    return this.#write(async () => {
      const fresh: { l: DeadLetter; ms: number }[] = [];
      const problems = letters.flatMap((l) => {
        const p = deadLetterProblem(l);
        return p ? [`${l.dead_letter_id}: ${p}`] : [];
      });
      if (problems.length > 0)
        throw new ReeltimeError("REELTIME_ERR_SEARCH_REJECTED", `dead letters refused: ${problems.join("; ")}`);
      for (const l of letters) {
        const ms = checkDeadLetter(l);
        if (this.#letterIds.has(l.dead_letter_id) || fresh.some((f) => f.l.dead_letter_id === l.dead_letter_id))
          continue;
        fresh.push({ l: structuredClone(l), ms });
      }
      await this.#letters.append(fresh.map((f) => f.l));
      for (const f of fresh) this.#addLetter(f.l, f.ms);
    });
  }

  async deadLetters(filter: DeadLetterFilter, n: number): Promise<DeadLetter[]> {
    checkLimit(n);
    await this.start();
    const match = deadLetterMatcher(filter);
    const out: DeadLetter[] = [];
    for (let i = this.#letterList.length - 1; i >= 0 && out.length < n; i--) {
      const e = this.#letterList[i]!;
      if (match(e.doc, e.ms)) out.push(structuredClone(e.doc));
    }
    return out;
  }

  async shutdown(): Promise<void> {
    await this.#writes;
    const opened = this.#opening;
    this.#opening = undefined;
    if (!opened) return;
    await opened.catch(() => undefined);
    await this.#events.close();
    await this.#views.log.close();
    await this.#jobs.log.close();
    await this.#videos.log.close();
    await this.#letters.close();
  }
}
