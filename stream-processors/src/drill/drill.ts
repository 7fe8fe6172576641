import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { Client } from "@elastic/elasticsearch";
import { createArchive, createBus } from "@reeltime/connectors";
import { ALL_TOPICS, type PlaybackEvent, RECORD_INDEX, type ReeltimeEvent, type ViewRecord } from "@reeltime/events";
import { down, LOCAL_ENDPOINTS, localServicesEnv, up } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { hourPrefixes } from "../backfill.ts";
import { computeView } from "../sessionizer/compute.ts";
import { archivedEventIds, publishEvents, syntheticEvents } from "./workload.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "packages", "cli", "bin", "reeltime.js");

export interface DrillOptions {
  events: number;
  /** Seconds each of Elasticsearch and MinIO stays down. */
  outageSeconds: number;
  /** Metrics ports of the two processor instances (Prometheus scrapes 9464-9467). */
  ports: [number, number];
  log: (line: string) => void;
}

export interface DrillReport {
  published: number;
  searchDocs: number;
  searchDistinct: number;
  archiveRows: number;
  archiveDistinct: number;
  views: number;
  viewsMatching: number;
  lag: number;
  faults: string[];
  seconds: number;
}

/** The environment of the processor instances and the drill's own clients: real Kafka, ES and MinIO. */
function realEnv(dataDir: string): Record<string, string> {
  return {
    ...localServicesEnv(),
    REELTIME_DATA_DIR: dataDir,
    REELTIME_ARCHIVER_ROLL_SECONDS: "5",
    REELTIME_INDEXER_FLUSH_MS: "200",
    REELTIME_CHECKPOINT_MS: "1000",
    LOG_LEVEL: "warn",
  };
}

class Instance {
  child: ChildProcess | undefined;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly logFile: string;
  constructor(port: number, env: Record<string, string>, logFile: string) {
    this.port = port;
    this.env = env;
    this.logFile = logFile;
  }
  start() {
    const out = openSync(this.logFile, "a");
    this.child = spawn(process.execPath, [BIN, "process", "--metrics-port", String(this.port)], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", out, out],
    });
  }
  /** kill -9: no flush, no commit, no goodbye to the group. */
  kill() {
    this.child?.kill("SIGKILL");
  }
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (c.exitCode === null) c.kill("SIGKILL");
  }
  /** Sum of reeltime_consumer_lag_messages, or undefined while the instance does not answer. */
  async lag(): Promise<number | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
      let sum = 0;
      let seen = false;
      for (const line of text.split("\n"))
        if (line.startsWith("reeltime_consumer_lag_messages{")) {
          sum += Number(line.slice(line.lastIndexOf(" ") + 1));
          seen = true;
        }
      return seen ? sum : undefined;
    } catch {
      return undefined;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, log: (l: string) => void) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(1000);
  }
  log(`timed out waiting for ${what}`);
  throw new Error(`drill: timed out waiting for ${what}`);
}

/** Every document of one app in the events data streams, by event_id (exact, paged with a PIT). */
async function searchIds(es: Client, app: string): Promise<string[]> {
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

async function storedViews(es: Client, app: string): Promise<Map<string, ViewRecord>> {
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

/**
 * The fault drill of the processors: N events with known ids on real Kafka, two processor
 * instances in one group, kill -9 of each mid-stream, a Kafka restart, Elasticsearch and MinIO
 * each down for a while; then every count must be exact.
 */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const started = Date.now();
  const { log } = opts;
  const app = `drill-${Date.now().toString(36)}`;
  const dataDir = join(ROOT, ".reeltime", "drill", app);
  mkdirSync(dataDir, { recursive: true });
  const env = realEnv(dataDir);
  const conn = loadEnv(ConnectionEnv, env);
  const faults: string[] = [];
  const fault = (what: string) => {
    faults.push(what);
    log(`  fault: ${what}`);
  };

  // Events in an hour of their own (two hours back), so the archive check reads only this run.
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 1000;
  const events: ReeltimeEvent[] = syntheticEvents(opts.events, { app, t0, unit: "events" });
  log(`drill ${app}: ${events.length} events`);

  for (const [k, v] of Object.entries(env)) if (k.startsWith("AWS_")) process.env[k] = v;
  const bus = await createBus(conn);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: conn.REELTIME_PARTITIONS })));
  await publishEvents(bus, events);
  await bus.shutdown();
  log(`  published ${events.length} events to Kafka`);

  const a = new Instance(opts.ports[0], env, join(dataDir, "a.log"));
  const b = new Instance(opts.ports[1], env, join(dataDir, "b.log"));
  const es = new Client({ node: LOCAL_ENDPOINTS.elasticsearch.url });
  const indexed = async () => {
    const r = await es.count({ index: "reeltime-events-*", query: { term: { app_id: app } } });
    return r.count;
  };
  a.start();
  b.start();
  try {
    const progress = async (share: number) =>
      until(
        `${Math.round(share * 100)} % indexed`,
        async () => (await indexed()) >= events.length * share,
        600_000,
        log,
      );

    await progress(0.1);
    fault("kill -9 instance A");
    a.kill();
    await sleep(1500);
    a.start();
    await progress(0.25);
    fault("kill -9 instance B");
    b.kill();
    await sleep(1500);
    b.start();

    fault("restart Kafka");
    await down({ only: ["kafka"], print: () => undefined });
    await sleep(3000);
    await up({ only: ["kafka"], print: () => undefined });

    await progress(0.4);
    fault(`stop Elasticsearch for ${opts.outageSeconds} s`);
    await down({ only: ["elasticsearch"], print: () => undefined });
    await sleep(opts.outageSeconds * 1000);
    await up({ only: ["elasticsearch"], print: () => undefined });

    fault(`stop MinIO for ${opts.outageSeconds} s`);
    await down({ only: ["minio"], print: () => undefined });
    await sleep(opts.outageSeconds * 1000);
    await up({ only: ["minio"], print: () => undefined });

    fault("kill -9 both instances, restart them");
    a.kill();
    b.kill();
    await sleep(1500);
    a.start();
    b.start();

    await until("every event indexed", async () => (await indexed()) >= events.length, 900_000, log);
    await until(
      "consumer lag back to 0",
      async () => {
        const [la, lb] = await Promise.all([a.lag(), b.lag()]);
        return la === 0 && lb === 0;
      },
      600_000,
      log,
    );
    // One more archiver roll interval, so the last cuts are uploaded before counting.
    await sleep(7000);
    const lag = ((await a.lag()) ?? 0) + ((await b.lag()) ?? 0);

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
    for (const [viewId, evs] of byView) if (isDeepStrictEqual(stored.get(viewId), computeView(evs))) matching++;

    return {
      published: events.length,
      searchDocs: ids.length,
      searchDistinct: new Set(ids).size,
      archiveRows: archived.length,
      archiveDistinct: new Set(archived).size,
      views: byView.size,
      viewsMatching: matching,
      lag,
      faults,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await es.close();
  }
}
