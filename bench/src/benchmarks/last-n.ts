import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SearchStore, StoredEvent } from "@reeltime/connectors";
import { type Bus, createBus } from "@reeltime/connectors";
import { eventsDataStream, familyOf } from "@reeltime/events";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { READ_TOKEN } from "../servers/keys.ts";
import { countApp, deleteAppEvents, elasticsearchStore, esClient } from "../services.ts";
import { quantile, round } from "../stats.ts";
import { workload } from "../workload.ts";

/** The kept data set: its own app id, so reruns find it and skip loading. */
export const LAST_N_APP = "bench-lastn";
const CHUNK = 10_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");

const hex = (n: number) => n.toString(16).padStart(8, "0");

async function bulk(body: string): Promise<void> {
  const res = await fetch(`${LOCAL_ENDPOINTS.elasticsearch.url}/_bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
  });
  const answer = (await res.json()) as { errors: boolean; items: Record<string, { status: number }>[] };
  // 409: already there from an earlier, interrupted load.
  const bad = answer.items?.filter((i) => {
    const s = Object.values(i)[0]!.status;
    return s >= 300 && s !== 409;
  });
  if (!res.ok || bad === undefined || bad.length > 0)
    throw new Error(`_bulk refused documents: ${JSON.stringify(bad?.[0] ?? answer).slice(0, 300)}`);
}

/**
 * Loads the data set up to `docs` documents, chunk by chunk with deterministic ids (chunk k
 * always holds the same 10,000 events), so a second run skips it and an interrupted one resumes
 * where it stopped: `create` of an id already there is a harmless 409. Events are dated in
 * January 2026 so they never come first in anyone's newest-first reads.
 */
async function ensureDataSet(docs: number, log: (l: string) => void): Promise<number> {
  const have = await countApp(LAST_N_APP);
  if (have >= docs) {
    log(`  data set present: ${have} documents of app ${LAST_N_APP}`);
    return have;
  }
  const chunks = Math.ceil(docs / CHUNK);
  const first = Math.max(0, Math.floor(have / CHUNK) - 2);
  log(`  loading ${docs - have} documents (chunks ${first}..${chunks - 1} of ${CHUNK}; resumable)`);
  const started = performance.now();
  let next = first;
  const worker = async () => {
    while (next < chunks) {
      const k = next++;
      const events = workload(Math.min(CHUNK, docs - k * CHUNK), {
        app: LAST_N_APP,
        t0: T0 + k * 60_000,
        stamped: true,
        idTag: hex(k),
        viewTag: `${k}-`,
      }) as StoredEvent[];
      let body = "";
      for (const e of events)
        body += `${JSON.stringify({ create: { _index: eventsDataStream(familyOf(e.event_type)), _id: e.event_id } })}\n${JSON.stringify({ ...e, "@timestamp": e.received_at })}\n`;
      await bulk(body);
      if (k % 10 === 9) {
        const s = (performance.now() - started) / 1000;
        log(`  … chunk ${k + 1}/${chunks} (${Math.round(((k + 1 - first) * CHUNK) / s)} docs/s)`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return countApp(LAST_N_APP);
}

async function timeQueries(n: number, run: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * GET /v1/events/last on Elasticsearch holding the data set (1M events by default) in app
 * bench-lastn, sequential queries through the real ingest API on a local port, plus the store's
 * lastN alone. Knobs: --docs (data set size; kept between runs), --samples (queries per case,
 * default 300), --drop-data (delete the data set).
 */
export async function lastN(o: BenchOptions): Promise<Result> {
  if (o.dropData) {
    const deleted = await deleteAppEvents(LAST_N_APP);
    o.log(`  deleted ${deleted} documents of app ${LAST_N_APP}`);
    return {
      name: "last-n",
      title: "Last-N: data set dropped",
      workload: { app: LAST_N_APP },
      rows: [{ label: "deleted", figures: { documents: deleted } }],
      goal: { text: "none (--drop-data)" },
      notes: [],
    };
  }
  const queries = or(o.samples, 300);
  const loadStarted = performance.now();
  const docs = await ensureDataSet(o.docs, o.log);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const search: SearchStore = await elasticsearchStore();
  // Reads never publish: an embedded bus in a throwaway directory keeps Kafka out of it.
  const dataDir = await mkdtemp(join(tmpdir(), "reeltime-bench-lastn-"));
  const bus: Bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dataDir }));
  const app = await buildApp({
    config: loadIngestConfig({
      REELTIME_READ_TOKENS: `${LAST_N_APP}:${READ_TOKEN}`,
      REELTIME_RATE_LIMIT_PER_KEY: "10000000",
    }),
    bus,
    search,
    logger: createLogger("bench-lastn", { level: "silent" }),
  });
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  const headers = { authorization: `Bearer ${READ_TOKEN}` };
  const get = (query: string) => async () => {
    const res = await fetch(`${base}/v1/events/last?${query}`, { headers });
    const body = (await res.json()) as { count: number };
    if (res.status !== 200 || body.count === 0) throw new Error(`/v1/events/last?${query}: ${res.status}`);
  };
  const cases: [string, () => Promise<void>][] = [
    ["API n=100 (app)", get(`app=${LAST_N_APP}&n=100`)],
    ["API n=1000 (app)", get(`app=${LAST_N_APP}&n=1000`)],
    ["API n=100 (app + view_id)", get(`app=${LAST_N_APP}&n=100&view_id=${LAST_N_APP}-50-view-7`)],
    ["API n=100 (app + event_type)", get(`app=${LAST_N_APP}&n=100&event_type=playback.rebuffer_end`)],
    [
      "store.lastN n=100 (no HTTP)",
      async () => {
        await search.lastN({ app_id: LAST_N_APP }, 100);
      },
    ],
  ];
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const [label, run] of cases) {
      const times = await timeQueries(queries, run);
      const figures = {
        "p50 ms": round(quantile(times, 0.5)),
        "p95 ms": round(quantile(times, 0.95)),
        "p99 ms": round(quantile(times, 0.99)),
        queries,
      };
      rows.push({ label, figures });
      o.log(`  ${label}: p50 ${figures["p50 ms"]} ms, p99 ${figures["p99 ms"]} ms`);
    }
    // Where Elasticsearch spends the query: its own profile of the n=100 query, and the same query without collapse.
    const es = esClient();
    const request = {
      index: "reeltime-events-*",
      query: { bool: { filter: [{ term: { app_id: LAST_N_APP } }] } },
      sort: [{ received_at: { order: "desc" as const } }, { event_id: { order: "desc" as const } }],
      size: 100,
      track_total_hits: false,
    };
    const noCollapse = await timeQueries(queries, async () => {
      await es.search(request);
    });
    rows.push({
      label: "diagnostic: same ES query without collapse",
      figures: {
        "p50 ms": round(quantile(noCollapse, 0.5)),
        "p95 ms": round(quantile(noCollapse, 0.95)),
        "p99 ms": round(quantile(noCollapse, 0.99)),
        queries,
      },
    });
    const profiled = await es.search({ ...request, collapse: { field: "event_id" }, profile: true });
    for (const shard of profiled.profile?.shards ?? []) {
      const search = shard.searches[0];
      const q = search?.query[0];
      const collector = search?.collector[0];
      if (!q || (q.time_in_nanos ?? 0) < 1e6) continue;
      notes.push(
        `ES profile, shard ${shard.id.split("][").slice(1).join("/")}: query ${q.type} ${round((q.time_in_nanos ?? 0) / 1e6)} ms, collector ${collector?.name} ${round((collector?.time_in_nanos ?? 0) / 1e6)} ms (took ${profiled.took} ms)`,
      );
    }
    await es.close();
  } finally {
    await app.close();
    await search.shutdown();
    await bus.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  }
  const p99 = rows[0]!.figures["p99 ms"] as number;
  return {
    name: "last-n",
    title: `Last-N query: /v1/events/last with ${docs.toLocaleString("en")} events in Elasticsearch`,
    workload: {
      documents: docs,
      app: LAST_N_APP,
      queriesPerCase: queries,
      warmupPerCase: 20,
      loadSeconds: round(loadSeconds, 1),
      client: "sequential fetch, same process, keep-alive",
    },
    rows,
    goal: { text: "p99 ≤ 20 ms (API n=100)", met: p99 <= 20 },
    notes: [
      "No baseline: the figure is the API's own latency; the store-only row shows what HTTP and the route add.",
      ...notes,
    ],
  };
}
