import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@elastic/elasticsearch";
import { createArchive, createBus } from "@reeltime/connectors";
import { ALL_TOPICS, type PlaybackEvent, RECORD_INDEX, type ReeltimeEvent, type ViewRecord } from "@reeltime/events";
import { down, LOCAL_ENDPOINTS, localServicesEnv, up } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { hourPrefixes } from "@reeltime/stream-processors";
import { archivedEventIds, syntheticEvents } from "@reeltime/testkit/workload";
import { Instance } from "./instance.ts";
import { PacedProducer } from "./producer.ts";
import { diffView, type FieldDiff, referenceView } from "./reference.ts";

/** The repository root (the drill keeps its data under .reeltime/drill there). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The `reeltime` program the drill runs as its processor instances. */
export const BIN = createRequire(import.meta.url).resolve("@reeltime/cli/bin/reeltime.js");

export interface DrillOptions {
  events: number;
  /** Seconds each of Elasticsearch and S3 (SeaweedFS) stays down. */
  outageSeconds: number;
  /** Publishing rate: events go out in paced batches while the faults happen. */
  eventsPerSecond: number;
  /** How many mismatched views to describe field by field (default 5). */
  showMismatches?: number;
  /** Metrics ports of the two processor instances (Prometheus scrapes 9464-9467). */
  ports: [number, number];
  log: (line: string) => void;
  /** Stops the drill (its instances ended, its services back up) when the caller gives up. */
  signal?: AbortSignal;
  /** The Kafka client of the processor instances (REELTIME_KAFKA_DRIVER; default kafkajs). */
  kafkaDriver?: "kafkajs" | "platformatic";
}

export interface DrillReport {
  published: number;
  searchDocs: number;
  searchDistinct: number;
  archiveRows: number;
  archiveDistinct: number;
  views: number;
  viewsMatching: number;
  /** The first mismatched views, with every field that differs from the reference. */
  mismatches: { viewId: string; diffs: FieldDiff[] }[];
  /** What each store outage hit: failed attempts of the processor writing there, events published meanwhile. */
  outages: OutageCheck[];
  /** Publish calls the bus refused and the producer made again. */
  publishRetries: number;
  lag: number;
  faults: string[];
  seconds: number;
}

/**
 * Proof that an outage hit pending work: processors writing to the stopped store (indexer and
 * sessionizer to Elasticsearch; archivers and checkpoints to S3, SeaweedFS) failed flushes or uploads
 * while it was down, each one retried (see Instance.failuresLogged), and the producer kept
 * publishing meanwhile. An outage with no failed attempt landed on an idle
 * processor and proves nothing: the drill fails it.
 */
export interface OutageCheck {
  service: "elasticsearch" | "seaweedfs";
  /** Writes to the stopped store that failed and were tried again, per processor. */
  failedAttempts: Record<string, number>;
  publishedDuring: number;
}

/** The environment of the processor instances and the drill's own clients: real Kafka, ES and S3 (SeaweedFS). */
export function realEnv(dataDir: string): Record<string, string> {
  return {
    ...localServicesEnv(),
    REELTIME_DATA_DIR: dataDir,
    REELTIME_ARCHIVER_ROLL_SECONDS: "5",
    REELTIME_INDEXER_FLUSH_MS: "200",
    REELTIME_CHECKPOINT_MS: "1000",
    LOG_LEVEL: "warn",
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `work` unless the caller gives up first (then a DrillAbort). */
export async function unlessStopped<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) throw new DrillAbort("drill: stopped");
  let onAbort = () => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(new DrillAbort("drill: stopped"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** A failure no waiting can fix (e.g. a processor instance exited): `until` stops at once. */
export class DrillAbort extends Error {}

/**
 * Waits until `check` holds, for at most `timeoutMs`. A drill whose caller gave up (a test that
 * timed out) is stopped through `signal`: the drill's `finally` then ends its instances instead
 * of leaving them running into whatever runs next.
 */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  log: (l: string) => void,
  signal?: AbortSignal,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new DrillAbort(`drill: stopped while waiting for ${what}`);
    const ok = await check().catch((e: unknown) => {
      if (e instanceof DrillAbort) throw e;
      return false;
    });
    if (ok) return;
    await sleep(1000);
  }
  log(`timed out waiting for ${what}`);
  throw new Error(`drill: timed out waiting for ${what}`);
}

/** Every document of one app in the events data streams, by event_id (exact, paged with a PIT). */
export async function searchIds(es: Client, app: string): Promise<string[]> {
  const ids: string[] = [];
  const pit = await es.openPointInTime({ index: "reeltime-events-*", keep_alive: "2m" });
  let after: unknown[] | undefined;
  try {
    for (;;) {
      const page = await es.search<{ event_id: string }>({
        pit: { id: pit.id, keep_alive: "2m" },
        size: 10_000,
        query: { term: { app_id: app } },
        _source: ["event_id"],
        sort: [{ _shard_doc: "asc" }],
        ...(after ? { search_after: after as never } : {}),
      });
      const hits = page.hits.hits;
      for (const h of hits) ids.push(h._source!.event_id);
      if (hits.length < 10_000) break;
      after = hits.at(-1)!.sort;
    }
  } finally {
    await es.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
  return ids;
}

export async function storedViews(es: Client, app: string): Promise<Map<string, ViewRecord>> {
  const out = new Map<string, ViewRecord>();
  let after: unknown[] | undefined;
  for (;;) {
    const page = await es.search<ViewRecord>({
      index: RECORD_INDEX.views,
      size: 5000,
      query: { term: { app_id: app } },
      sort: [{ view_id: "asc" }],
      ...(after ? { search_after: after as never } : {}),
    });
    for (const h of page.hits.hits) out.set(h._source!.view_id, h._source!);
    if (page.hits.hits.length < 5000) break;
    after = page.hits.hits.at(-1)!.sort;
  }
  return out;
}

/** The exact-count checks of a drill: ES docs, Parquet rows and views of one app against what was published. */
export async function exactCounts(
  es: Client,
  conn: ReturnType<typeof loadEnv<typeof ConnectionEnv>>,
  app: string,
  t0: number,
  events: ReeltimeEvent[],
  showMismatches = 5,
): Promise<
  Pick<
    DrillReport,
    "searchDocs" | "searchDistinct" | "archiveRows" | "archiveDistinct" | "views" | "viewsMatching" | "mismatches"
  >
> {
  const ids = await searchIds(es, app);
  const archive = await createArchive(conn);
  const archived = await archivedEventIds(
    archive,
    hourPrefixes(new Date(t0 - 3_600_000), new Date(t0 + 3_600_000)),
    app,
  );
  await archive.shutdown();

  const byView = new Map<string, PlaybackEvent[]>();
  for (const e of events)
    if (e.event_type.startsWith("playback.")) {
      const p = e as PlaybackEvent;
      const list = byView.get(p.view_id) ?? [];
      list.push(p);
      byView.set(p.view_id, list);
    }
  const stored = await storedViews(es, app);
  let matching = 0;
  const mismatches: DrillReport["mismatches"] = [];
  for (const [viewId, evs] of byView) {
    const diffs = diffView(referenceView(evs), stored.get(viewId) as Record<string, unknown> | undefined);
    if (diffs.length === 0) matching++;
    else if (mismatches.length < showMismatches) mismatches.push({ viewId, diffs });
  }

  return {
    searchDocs: ids.length,
    searchDistinct: new Set(ids).size,
    archiveRows: archived.length,
    archiveDistinct: new Set(archived).size,
    views: byView.size,
    viewsMatching: matching,
    mismatches,
  };
}

/**
 * The fault drill of the processors: N events with known ids published to real Kafka at a
 * steady rate while two processor instances in one group are killed with SIGKILL, Kafka
 * restarts, and Elasticsearch and S3 (SeaweedFS) each go down with work pending; then every count
 * must be exact and every view equal to an independent reference (reference.ts).
 */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const { log } = opts;
  const app = `drill-${Date.now().toString(36)}`;
  const dataDir = join(ROOT, ".reeltime", "drill", app);
  mkdirSync(dataDir, { recursive: true });
  const env = { ...realEnv(dataDir), REELTIME_KAFKA_DRIVER: opts.kafkaDriver ?? "kafkajs" };
  const conn = loadEnv(ConnectionEnv, env);
  // Events in an hour of their own (two hours back), so the archive check reads only this run.
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 1000;
  const events: ReeltimeEvent[] = syntheticEvents(opts.events, { app, t0, unit: "events" });
  log(`drill ${app}: ${events.length} events at ${opts.eventsPerSecond}/s`);

  for (const [k, v] of Object.entries(env)) if (k.startsWith("AWS_")) process.env[k] = v;
  const bus = await createBus(conn);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: conn.REELTIME_PARTITIONS })));
  const producer = new PacedProducer(bus, events, { eventsPerSecond: opts.eventsPerSecond });
  const faults: string[] = [];
  const fault = (what: string) => {
    faults.push(what);
    log(`  fault: ${what} (${producer.published} published)`);
  };

  const a = new Instance(BIN, opts.ports[0], env, join(dataDir, "a.log"));
  const b = new Instance(BIN, opts.ports[1], env, join(dataDir, "b.log"));
  const es = new Client({ node: LOCAL_ENDPOINTS.elasticsearch.url });
  const indexed = async () => {
    const r = await es.count({ index: "reeltime-events-*", query: { term: { app_id: app } } });
    return r.count;
  };
  /** Stops one store for the outage time while the producer keeps going; counts what failed meanwhile. */
  const outage = async (service: OutageCheck["service"]): Promise<OutageCheck> => {
    fault(`stop ${service === "seaweedfs" ? "SeaweedFS (S3)" : "Elasticsearch"} for ${opts.outageSeconds} s`);
    const from = Date.now();
    const before = producer.published;
    stopped.add(service);
    await down({ only: [service], print: () => undefined });
    await unlessStopped(sleep(opts.outageSeconds * 1000), opts.signal);
    const publishedDuring = producer.published - before;
    await up({ only: [service], print: () => undefined });
    stopped.delete(service);
    const to = Date.now();
    const store = service === "seaweedfs" ? "archive" : "search";
    const failedAttempts: Record<string, number> = {};
    for (const counts of [a.failuresLogged(store, from, to), b.failuresLogged(store, from, to)])
      for (const [p, n] of counts) failedAttempts[p] = (failedAttempts[p] ?? 0) + n;
    const listed = Object.entries(failedAttempts).map(([p, n]) => `${p} ${n}`);
    log(
      `    failed ${store} writes retried during the outage: ${listed.join(", ") || "none"}; ${publishedDuring} events published`,
    );
    return { service, failedAttempts, publishedDuring };
  };
  const outages: OutageCheck[] = [];
  /** Services this drill has stopped and not yet started again (started in `finally` if it stops early). */
  const stopped = new Set<"kafka" | OutageCheck["service"]>();

  // Processors and producer start together: the faults land on work in flight.
  a.start();
  b.start();
  const publishing = producer.start();
  publishing.catch(() => undefined);
  try {
    // Faults are timed by what was published, not by what was processed: however slow the
    // machine, each one lands while the producer is still going and the processors have work.
    const published = async (share: number) =>
      until(
        `${Math.round(share * 100)} % published`,
        async () => producer.published >= events.length * share,
        600_000,
        log,
        opts.signal,
      );

    await published(0.05);
    fault("kill -9 instance A");
    a.kill();
    await sleep(1500);
    a.start();
    await published(0.12);
    fault("kill -9 instance B");
    b.kill();
    await sleep(1500);
    b.start();

    await published(0.2);
    fault("restart Kafka (publishing paused)");
    await producer.pause();
    stopped.add("kafka");
    await down({ only: ["kafka"], print: () => undefined });
    await sleep(3000);
    await up({ only: ["kafka"], print: () => undefined });
    stopped.delete("kafka");
    producer.resume();

    // S3 first: Elasticsearch takes the longest to come back, and the producer must still be
    // publishing during each outage.
    await published(0.3);
    outages.push(await outage("seaweedfs"));
    await published(0.45);
    outages.push(await outage("elasticsearch"));

    fault("kill -9 both instances, restart them");
    a.kill();
    b.kill();
    await sleep(1500);
    a.start();
    b.start();

    await unlessStopped(publishing, opts.signal);
    log(`  published ${producer.published} events (${producer.retries} publish calls retried)`);
    await until("every event indexed", async () => (await indexed()) >= events.length, 900_000, log, opts.signal);
    await until(
      "consumer lag back to 0",
      async () => {
        const [la, lb] = await Promise.all([a.lag(), b.lag()]);
        return la === 0 && lb === 0;
      },
      600_000,
      log,
      opts.signal,
    );
    // One more archiver roll interval, so the last cuts are uploaded before counting.
    await sleep(7000);
    const lag = ((await a.lag()) ?? 0) + ((await b.lag()) ?? 0);

    return {
      published: producer.published,
      ...(await exactCounts(es, conn, app, t0, events, opts.showMismatches)),
      outages,
      publishRetries: producer.retries,
      lag,
      faults,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    producer.stop();
    producer.resume();
    await Promise.all([a.stop(), b.stop()]);
    if (stopped.size > 0) await up({ only: [...stopped], print: () => undefined }).catch(() => undefined);
    await es.close();
    await bus.shutdown().catch(() => undefined);
  }
}
