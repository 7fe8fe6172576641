import type { ConsumedBatch, StoredEvent } from "@reeltime/connectors";
import { exampleEvent } from "@reeltime/events";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { createLogger, createRegistry } from "@reeltime/runtime";
import { processorMetrics, runProcessor, tuningFromEnv } from "@reeltime/stream-processors";
import { benchIndexer } from "../bench-indexer.ts";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { READ_TOKEN, WRITE_KEY } from "../servers/keys.ts";
import { deleteAppEvents, deleteRunTopics, elasticsearchStore, isolatedKafkaBus, RUN_ID } from "../services.ts";
import { quantile, sleep } from "../stats.ts";

const POLL_MS = 20;
const GIVE_UP_MS = 15_000;

/**
 * One event at a time: POST /v1/events → Kafka → Indexer (the `reeltime process` default: 500 ms
 * flush) → Elasticsearch (1 s refresh) → GET /v1/events/last, polled every 20 ms until the event
 * is there. Real Kafka and ES, per-run topics and app id, cleaned up afterwards.
 * Knobs: --samples (default 40).
 */
export async function freshness(o: BenchOptions): Promise<Result> {
  const samples = or(o.samples, 40);
  const app = `bench-fresh-${RUN_ID}`;
  const bus = await isolatedKafkaBus("freshness");
  const search = await elasticsearchStore();
  await search.init();
  const log = createLogger("bench-freshness", { level: "warn" });
  const tuning = tuningFromEnv({});
  const metrics = processorMetrics(createRegistry("bench"));
  // Stage clocks per view id: handed to the indexer, and written by its _bulk call.
  const consumedAt = new Map<string, number>();
  const indexedAt = new Map<string, number>();
  const timedSearch = new Proxy(search, {
    get(target, prop) {
      if (prop === "index")
        return async (events: StoredEvent[]) => {
          const out = await target.index(events);
          const now = performance.now();
          for (const e of events) if ("view_id" in e) indexedAt.set(String(e.view_id), now);
          return out;
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const onBatch = (batch: ConsumedBatch) => {
    const now = performance.now();
    for (const m of batch.messages) if (!consumedAt.has(m.key)) consumedAt.set(m.key, now);
  };
  const stages = { ack: [] as number[], consumed: [] as number[], indexed: [] as number[] };
  const indexer = await runProcessor(
    benchIndexer({ search: timedSearch, bus, log, metrics }, tuning.indexer, onBatch),
    {
      bus,
      log,
      metrics,
    },
  );
  const server = await buildApp({
    config: loadIngestConfig({
      REELTIME_WRITE_KEYS: `${app}:${WRITE_KEY}`,
      REELTIME_READ_TOKENS: `${app}:${READ_TOKEN}`,
    }),
    bus,
    search,
    logger: createLogger("bench-freshness", { level: "silent" }),
  });
  const base = await server.listen({ port: 0, host: "127.0.0.1" });
  const latencies: number[] = [];
  let lost = 0;
  try {
    for (let i = 0; i < samples + 3; i++) {
      const viewId = `${app}-view-${i}`;
      const event = { ...exampleEvent("playback.view_start", { seq: 0 }), app_id: app, view_id: viewId };
      const started = performance.now();
      const res = await fetch(`${base}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
        body: JSON.stringify([event]),
      });
      if (res.status >= 300) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      const acked = performance.now() - started;
      let seen = false;
      while (!seen && performance.now() - started < GIVE_UP_MS) {
        const r = await fetch(`${base}/v1/events/last?app=${app}&view_id=${viewId}&n=1`, {
          headers: { authorization: `Bearer ${READ_TOKEN}` },
        });
        seen = ((await r.json()) as { count: number }).count > 0;
        if (!seen) await sleep(POLL_MS);
      }
      const ms = performance.now() - started;
      // The first three warm the consumer group and connections up.
      if (i >= 3) {
        if (seen) {
          latencies.push(ms);
          stages.ack.push(acked);
          stages.consumed.push((consumedAt.get(viewId) ?? Number.NaN) - started);
          stages.indexed.push((indexedAt.get(viewId) ?? Number.NaN) - started);
        } else lost++;
        if (i % 10 === 0) o.log(`  sample ${i - 2}/${samples}: ${Math.round(ms)} ms`);
      }
      // Posts land at random points of the flush and refresh cycles.
      await sleep(Math.random() * 700);
    }
  } finally {
    await server.close();
    await indexer.stop();
    await bus.shutdown();
    await search.shutdown();
    await deleteAppEvents(app).catch(() => undefined);
    await deleteRunTopics().catch((e) => o.log(`  could not delete the run's topics: ${(e as Error).message}`));
  }
  const p95 = quantile(latencies, 0.95);
  return {
    name: "freshness",
    title: "Freshness: POST /v1/events until visible in /v1/events/last (Kafka + Indexer + Elasticsearch)",
    workload: {
      samples,
      pollMs: POLL_MS,
      indexerFlushMs: tuning.indexer?.maxDelayMs,
      indexerTickMs: 200,
      esRefresh: "1s",
      pause: "0-700 ms random between samples",
    },
    rows: [
      {
        label: "posted → visible",
        figures: {
          "p50 ms": Math.round(quantile(latencies, 0.5)),
          "p95 ms": Math.round(p95),
          "max ms": Math.round(Math.max(...latencies)),
          "min ms": Math.round(Math.min(...latencies)),
          "not seen in 15 s": lost,
        },
      },
      ...(
        [
          ["  stage: ingest answered (Kafka acked)", stages.ack],
          ["  stage: handed to the indexer", stages.consumed],
          ["  stage: indexer's _bulk returned", stages.indexed],
        ] as const
      ).map(([label, v]) => ({
        label,
        figures: {
          "p50 ms": Math.round(quantile(v.filter(Number.isFinite), 0.5)),
          "p95 ms": Math.round(quantile(v.filter(Number.isFinite), 0.95)),
          "max ms": Math.round(Math.max(...v.filter(Number.isFinite))),
          "min ms": Math.round(Math.min(...v.filter(Number.isFinite))),
        },
      })),
    ],
    goal: { text: "p95 ≤ 2000 ms with a 1 s refresh", met: lost === 0 && p95 <= 2000 },
    notes: ["No baseline: the floor is the 1 s refresh plus the indexer's 500 ms flush delay."],
  };
}
