import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createSearchStore,
  type SearchStore,
} from "@reeltime/connectors";
import { ALL_TOPICS, type PlaybackEvent } from "@reeltime/events";
import { elasticsearchMajors, LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hourPrefixes } from "../src/backfill.ts";
import { startProcessors } from "../src/service.ts";
import { computeView } from "../src/sessionizer/compute.ts";
import { archivedIds, publishAll, syntheticEvents, waitFor } from "./fixtures.ts";

const log = createLogger("processors-int", { level: process.env.LOG_LEVEL ?? "silent" });
const tuning = { indexer: { maxDelayMs: 100 }, archiver: { maxAgeMs: 500 }, snapshotEveryMs: 300, lagIntervalMs: 300 };

const BUSES: [string, Record<string, string>][] = [
  ["kafka", { REELTIME_BUS: "kafka", REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(",") }],
];

// The indexer and its last-N reads on both Elasticsearch majors users run, one run each.
const CELLS: [string, string, Record<string, string>, string][] = BUSES.flatMap(([name, busEnv]) =>
  elasticsearchMajors().map(({ major, url }): [string, string, Record<string, string>, string] => [
    name,
    major,
    busEnv,
    url,
  ]),
);

// Kinesis is covered by the Bus conformance suite (groups, leases, takeover); kinesis-local
// drops its HTTP/2 connections under the five processors' concurrent shard readers.
describe.each(CELLS)("processors on real %s, Elasticsearch %s and S3 (SeaweedFS)", (name, major, busEnv, esUrl) => {
  let bus: Bus;
  let search: SearchStore;
  let archive: Archive;
  const app = `int-${name}-es${major}-${Date.now().toString(36)}`;
  // An hour of its own, two hours back, so reads of the archive see only this run's partitions.
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 60_000;
  const events = syntheticEvents(400, { app, t0 });

  beforeAll(async () => {
    const env = loadEnv(ConnectionEnv, {
      ...busEnv,
      REELTIME_DATA_DIR: `.reeltime/test-${app}`,
      REELTIME_SEARCH: "elasticsearch",
      REELTIME_ES_URL: esUrl,
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_ENDPOINT: LOCAL_ENDPOINTS.s3.endpoint,
      REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.archive,
    });
    bus = await createBus(env);
    search = await createSearchStore(env);
    archive = await createArchive(env);
    await bus.start();
    await bus.ensureTopics(ALL_TOPICS.map((t) => ({ name: t, partitions: env.REELTIME_PARTITIONS })));
    await search.start();
    await search.init();
    await archive.start();
  });
  afterAll(async () => {
    await bus?.shutdown();
    await search?.shutdown();
    await archive?.shutdown();
  });

  it("two instances split the work, one is killed, the other takes over: exact counts, views equal a reference", async () => {
    const a = await startProcessors({ bus, search, archive, log, registry: createRegistry("a") }, undefined, tuning);
    const b = await startProcessors({ bus, search, archive, log, registry: createRegistry("b") }, undefined, tuning);
    await publishAll(bus, events.slice(0, events.length / 2));
    await waitFor("some progress", async () => (await search.lastN({ app_id: app }, 1)).length > 0, 90_000);
    await Promise.all(a.running.map((r) => r.abandon())); // instance a dies mid-stream
    await publishAll(bus, events.slice(events.length / 2));
    try {
      await waitFor(
        "all events indexed",
        async () => {
          await search.refresh();
          return (await search.lastN({ app_id: app }, 10_000)).length === events.length;
        },
        180_000,
      );
      // Every processor of the survivor (the archiver's cuts, the sessionizer's checkpoints) caught up.
      // The lags last seen, named by processor, so a timeout says which group is stuck where.
      let lagging: string[] = [];
      await waitFor(
        "every group's lag at 0",
        async () => {
          lagging = [];
          for (const r of b.running)
            for (const l of await r.lag())
              if (l.lag > 0) lagging.push(`${r.processor.name} ${l.topic}/${l.partition}: ${l.lag}`);
          return lagging.length === 0;
        },
        120_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; still behind: ${lagging.join(", ")}`);
      });
    } finally {
      await b.stop();
    }
    const docs = await search.lastN({ app_id: app }, 10_000);
    expect(new Set(docs.map((d) => d.event_id)).size).toBe(events.length);

    const ids = await archivedIds(archive, hourPrefixes(new Date(t0 - 3_600_000), new Date(t0 + 3_600_000)), app);
    expect(new Set(ids).size).toBe(events.length);
    expect(ids.length).toBe(events.length);

    const byView = new Map<string, PlaybackEvent[]>();
    for (const e of events)
      if (e.event_type.startsWith("playback."))
        byView.set((e as PlaybackEvent).view_id, [
          ...(byView.get((e as PlaybackEvent).view_id) ?? []),
          e as PlaybackEvent,
        ]);
    for (const [viewId, evs] of byView) expect(await search.getView(viewId), viewId).toEqual(computeView(evs));
  }, 300_000);
});
