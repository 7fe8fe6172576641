import type { Client, estypes } from "@elastic/elasticsearch";
import { checkDeadLetter, checkFilter, checkLimit, isRejected, route, videoDocId } from "@reeltime/connectors/adapter";
import {
  DEAD_LETTER_DATA_STREAM,
  eventsDataStream,
  ILM_POLICY_NAME,
  ilmPolicy,
  indexTemplates,
  type JobRecord,
  RECORD_INDEX,
  type VideoRecord,
  type ViewRecord,
  withoutPrivateFields,
} from "@reeltime/events";
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
import { type BulkItem, bulkWrite } from "./bulk.ts";
import { describeError, statusOf, type Tuning, withRetry } from "./client.ts";
import { deadLetterQuery, filterClauses, NEWEST_FIRST, textQuery } from "./query.ts";

const EVENTS = "reeltime-events-*";

type Source = Record<string, unknown>;

/** `_source` without the `@timestamp` copy of received_at that only the data streams need. */
function fromSource<T>(source: Source | undefined): T {
  const { "@timestamp": _ts, ...rest } = source ?? {};
  return rest as T;
}

/** A generated template without its `index.lifecycle.name` setting. */
/** The generated templates hold 0 replicas (one local node); a cluster sets REELTIME_ES_REPLICAS. */
function withReplicas(template: Record<string, unknown>, replicas: number): Record<string, unknown> {
  const inner = template.template as { settings?: Record<string, unknown> } | undefined;
  if (!inner?.settings) return template;
  return { ...template, template: { ...inner, settings: { ...inner.settings, number_of_replicas: replicas } } };
}

function withoutLifecycle(template: Record<string, unknown>): Record<string, unknown> {
  const inner = template.template as { settings?: Record<string, unknown> } | undefined;
  if (!inner?.settings) return template;
  const { "index.lifecycle.name": _policy, ...settings } = inner.settings;
  return { ...template, template: { ...inner, settings } };
}

/**
 * The SearchStore on Elasticsearch 8 and 9 (one v8 client; docs/local-services.md): events in one data stream per family (`_id` = event_id,
 * op_type create, so a 409 is an already-indexed duplicate), views and jobs in plain indices
 * upserted by id, dead letters in their own data stream. A 409 can only come from the current
 * write index: an event replayed after a rollover is stored again, and reads collapse on event_id.
 */
export class ElasticsearchSearchStore implements SearchStore {
  readonly driver = "elasticsearch";
  readonly #client: Client;
  readonly #tuning: Tuning;
  readonly #url: string;
  readonly #replicas: number;
  #starting: Promise<void> | undefined;
  #ilm: boolean | undefined;

  constructor(client: Client, tuning: Tuning, url: string, replicas = 0) {
    this.#client = client;
    this.#tuning = tuning;
    this.#url = url;
    this.#replicas = replicas;
  }

  #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(this.#tuning, this.#url, what, fn);
  }

  /**
   * Installs the ILM policy and every generated index template (PUT, so idempotent). A server
   * without the ILM API (a minimal build, Serverless) gets the templates without a lifecycle,
   * said in a process warning and in health().
   */
  async init(): Promise<void> {
    const ilm = await this.#call("installing the ILM policy", async () => {
      try {
        await this.#client.ilm.putLifecycle({ name: ILM_POLICY_NAME, ...(ilmPolicy() as object) });
        return true;
      } catch (err) {
        if (statusOf(err) === 400 && /no handler found/.test(describeError(err))) return false;
        throw err;
      }
    });
    if (!ilm && this.#ilm !== false)
      process.emitWarning(
        `${this.#url} has no ILM API: reeltime index templates are installed without "${ILM_POLICY_NAME}", so nothing rolls over or expires`,
        { code: "REELTIME_WARN_SEARCH_NO_ILM" },
      );
    this.#ilm = ilm;
    for (const [name, body] of Object.entries(indexTemplates()))
      await this.#call(`installing index template ${name}`, () =>
        this.#client.indices.putIndexTemplate({
          name,
          ...(withReplicas(ilm ? body : withoutLifecycle(body), this.#replicas) as object),
        }),
      );
    // A template shapes new indices only. Fields the contract added since an index was made
    // (a minor version) are added to it too, or its strict mapping would refuse them.
    for (const [name, body] of Object.entries(indexTemplates())) {
      const t = body as { index_patterns: string[]; template: { mappings: { properties: Record<string, unknown> } } };
      try {
        await this.#call(`adding new fields of ${name} to existing indices`, () =>
          this.#client.indices.putMapping({
            index: t.index_patterns,
            properties: t.template.mappings.properties as never,
            allow_no_indices: true,
            ignore_unavailable: true,
          }),
        );
      } catch (err) {
        // A field whose type changed cannot change in place: new indices (the next rollover)
        // get it from the template. Say so instead of refusing to start.
        if (!/illegal_argument_exception|mapper_parsing_exception/.test((err as Error).message)) throw err;
        process.emitWarning(
          `existing ${t.index_patterns.join(", ")} indices keep their mapping (${(err as Error).message.replace(/^.*?HTTP 400 /, "")}); indices made from now on (roll the data stream over to start one) use the new template`,
          { code: "REELTIME_WARN_SEARCH_MAPPING" },
        );
      }
    }
  }

  /** Starting installs the templates, so no document can ever land in an index without them. */
  start(): Promise<void> {
    this.#starting ??= this.init().catch((err) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async health(): Promise<Health> {
    try {
      const h = await this.#client.cluster.health({ timeout: "2s" }, { requestTimeout: 3_000 });
      const lifecycle = this.#ilm === false ? "; no ILM: indices never roll over or expire" : "";
      return {
        ok: h.status !== "red",
        driver: this.driver,
        detail: `cluster ${h.cluster_name} is ${h.status}${lifecycle}`,
      };
    } catch (err) {
      return { ok: false, driver: this.driver, detail: `${this.#url}: ${(err as Error).message}` };
    }
  }

  async index(incoming: StoredEvent[]): Promise<IndexResult> {
    // The search copy never holds the contract's private fields (the archive keeps them).
    const events = incoming.map(withoutPrivateFields);
    await this.start();
    const rejected: Rejected[] = [];
    const items: BulkItem[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (const event of events) {
      const r = route(event);
      if (isRejected(r)) rejected.push(r);
      else if (seen.has(event.event_id)) duplicates++;
      else {
        seen.add(event.event_id);
        items.push({
          action: "create",
          index: eventsDataStream(r.family),
          id: event.event_id,
          doc: { ...event, "@timestamp": event.received_at },
          original: event,
        });
      }
    }
    const out = await bulkWrite(this.#client, this.#tuning, this.#url, items);
    return { indexed: out.written, duplicates: duplicates + out.duplicates, rejected: [...rejected, ...out.rejected] };
  }

  /**
   * Newest first, without collapse: collapsing visits every matching document, while a plain
   * sort on received_at with total hits off lets Elasticsearch skip what cannot be among the
   * newest. The rare duplicate (an event written again after a rollover) is dropped here,
   * paging on with search_after until n distinct events are found.
   */
  async lastN(filter: EventFilter, n: number): Promise<StoredEvent[]> {
    checkLimit(n);
    const query = { bool: { filter: filterClauses(checkFilter(filter)) } };
    if (n === 0) return [];
    const out: StoredEvent[] = [];
    const seen = new Set<string>();
    let after: estypes.SortResults | undefined;
    for (;;) {
      const hits = await this.#events("lastN", query, n, {
        sort: NEWEST_FIRST as never,
        ...(after ? { search_after: after } : {}),
      });
      for (const h of hits) {
        const event = fromSource<StoredEvent>(h._source);
        if (seen.has(event.event_id)) continue;
        seen.add(event.event_id);
        out.push(event);
        if (out.length === n) return out;
      }
      if (hits.length < n || !hits.at(-1)?.sort) return out;
      after = hits.at(-1)!.sort;
    }
  }

  async search(text: string, filter: EventFilter, n: number): Promise<SearchHit[]> {
    checkLimit(n);
    if (text.trim() === "") return [];
    if (n === 0) return [];
    // `_id` is unique per backing index only: after a rollover a replayed event can be
    // written again, so the search collapses on event_id and never shows it twice.
    const hits = await this.#events("search", textQuery(text, checkFilter(filter)), n, {
      collapse: { field: "event_id" },
    });
    return hits.map((h) => ({ event: fromSource<StoredEvent>(h._source), score: h._score ?? 0 }));
  }

  /** One page of event documents across the event data streams. */
  async #events(
    what: string,
    query: object,
    n: number,
    extra: Pick<estypes.SearchRequest, "sort" | "search_after" | "collapse">,
  ): Promise<estypes.SearchHit<Source>[]> {
    await this.start();
    const res = await this.#call(what, () =>
      this.#client.search<Source>({
        index: EVENTS,
        query,
        size: n,
        ...extra,
        track_total_hits: false,
        ignore_unavailable: true,
        allow_no_indices: true,
      }),
    );
    return res.hits.hits;
  }

  async refresh(): Promise<void> {
    await this.start();
    await this.#call("refresh", () =>
      this.#client.indices.refresh({
        index: [EVENTS, DEAD_LETTER_DATA_STREAM, RECORD_INDEX.views, RECORD_INDEX.jobs],
        ignore_unavailable: true,
        allow_no_indices: true,
      }),
    );
  }

  async #writeAll(what: string, items: BulkItem[]): Promise<void> {
    await this.start();
    const out = await bulkWrite(this.#client, this.#tuning, this.#url, items);
    if (out.rejected.length > 0)
      throw new ReeltimeError(
        "REELTIME_ERR_SEARCH_REJECTED",
        `${what}: ${out.rejected.length} refused: ${out.rejected.map((r) => `${r.event_id}: ${r.reason}`).join("; ")}`,
      );
  }

  upsertViews(records: ViewRecord[]): Promise<void> {
    const items = records.map(
      (r): BulkItem => ({ action: "index", index: RECORD_INDEX.views, id: r.view_id, doc: r, original: r }),
    );
    return this.#writeAll("views", items);
  }

  upsertJobs(records: JobRecord[]): Promise<void> {
    const items = records.map(
      (r): BulkItem => ({ action: "index", index: RECORD_INDEX.jobs, id: r.job_id, doc: r, original: r }),
    );
    return this.#writeAll("jobs", items);
  }

  upsertVideos(records: VideoRecord[]): Promise<void> {
    const items = records.map(
      (r): BulkItem => ({ action: "index", index: RECORD_INDEX.videos, id: videoDocId(r), doc: r, original: r }),
    );
    return this.#writeAll("videos", items);
  }

  async #get<T>(index: string, id: string): Promise<T | undefined> {
    await this.start();
    return this.#call(`get ${index}/${id}`, async () => {
      try {
        const res = await this.#client.get<Source>({ index, id });
        return res.found ? fromSource<T>(res._source) : undefined;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    });
  }

  getView(viewId: string): Promise<ViewRecord | undefined> {
    return this.#get<ViewRecord>(RECORD_INDEX.views, viewId);
  }

  getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.#get<JobRecord>(RECORD_INDEX.jobs, jobId);
  }

  getVideo(appId: string, videoId: string): Promise<VideoRecord | undefined> {
    return this.#get<VideoRecord>(RECORD_INDEX.videos, videoDocId({ app_id: appId, video_id: videoId }));
  }

  indexDeadLetters(letters: DeadLetter[]): Promise<void> {
    const items = letters.map((l): BulkItem => {
      checkDeadLetter(l);
      const { received_at, ...rest } = l;
      return {
        action: "create",
        index: DEAD_LETTER_DATA_STREAM,
        id: l.dead_letter_id,
        doc: { ...rest, "@timestamp": received_at },
        original: l,
      };
    });
    return this.#writeAll("dead letters", items);
  }

  async deadLetters(filter: DeadLetterFilter, n: number): Promise<DeadLetter[]> {
    checkLimit(n);
    if (n === 0) return [];
    await this.start();
    const res = await this.#call("deadLetters", () =>
      this.#client.search<Source>({
        index: DEAD_LETTER_DATA_STREAM,
        query: deadLetterQuery(filter),
        size: n,
        sort: [{ "@timestamp": { order: "desc" } }, { dead_letter_id: { order: "desc" } }],
        track_total_hits: false,
        ignore_unavailable: true,
        allow_no_indices: true,
      }),
    );
    return res.hits.hits.map((h) => {
      const { "@timestamp": ts, ...rest } = h._source ?? {};
      return { ...rest, received_at: ts } as DeadLetter;
    });
  }

  async shutdown(): Promise<void> {
    this.#starting = undefined;
    await this.#client.close();
  }
}
