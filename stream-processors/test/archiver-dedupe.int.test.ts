import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createSearchStore,
  type SearchStore,
} from "@reeltime/connectors";
import { ALL_TOPICS, type ReeltimeEvent } from "@reeltime/events";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hourPrefixes } from "../src/backfill.ts";
import { startProcessors } from "../src/service.ts";
import { archivedIds, publishAll, syntheticEvents, waitFor } from "./fixtures.ts";

const log = createLogger("archiver-dedupe-int", { level: process.env.LOG_LEVEL ?? "silent" });

describe("Parquet holds each event_id once on real Kafka and S3 (SeaweedFS)", () => {
  let bus: Bus;
  let search: SearchStore;
  let archive: Archive;
  const app = `dedupe-${Date.now().toString(36)}`;
  // An hour of its own, two hours back, so reads of the archive see only this run's partitions.
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 60_000;
  const events = syntheticEvents(600, { app, t0 });

  beforeAll(async () => {
    const env = loadEnv(ConnectionEnv, {
      REELTIME_BUS: "kafka",
      REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(","),
      REELTIME_DATA_DIR: `.reeltime/test-${app}`,
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_ENDPOINT: LOCAL_ENDPOINTS.s3.endpoint,
      REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.archive,
    });
    bus = await createBus(env);
    search = await createSearchStore(env);
    archive = await createArchive(env);
    await bus.start();
    await bus.ensureTopics(ALL_TOPICS.map((t) => ({ name: t, partitions: env.REELTIME_PARTITIONS })));
    await archive.start();
  });
  afterAll(async () => {
    await bus?.shutdown();
    await search?.shutdown();
    await archive?.shutdown();
  });

  const start = (name: string) =>
    startProcessors({ bus, search, archive, log, registry: createRegistry(name) }, ["archiver"], {
      archiver: { maxAgeMs: 300 },
      lagIntervalMs: 300,
    });
  const expected = new Set<string>();
  const archived = () => archivedIds(archive, hourPrefixes(new Date(t0 - 3_600_000), new Date(t0 + 3_600_000)), app);
  /**
   * Waits until every event published so far is archived. The group is shared with other
   * runs, so its lag says little; each resend is followed on its partition (same key) by a
   * fresh sentinel event, and cuts are in offset order: once the sentinels are in, so is
   * everything before them.
   */
  const caughtUp = () =>
    waitFor(
      "every published event archived",
      async () => {
        const have = new Set(await archived());
        return [...expected].every((id) => have.has(id));
      },
      180_000,
    );
  const publish = async (list: ReeltimeEvent[]) => {
    await publishAll(bus, list);
    for (const e of list) expected.add(e.event_id);
  };
  /** A resend as a client retry makes it (the same event, stamped again by ingest), then a sentinel. */
  const resend = async (list: ReeltimeEvent[]) => {
    await publishAll(
      bus,
      list.map((e) => ({ ...e, received_at: new Date().toISOString() })),
    );
    await publish(list.map((e) => ({ ...e, event_id: uuidv7() })));
  };

  it("resent immediately, after a file cut and after an archiver restart", async () => {
    const first = events.slice(0, 400);
    const a = await start("dedupe-a");
    let published = 0;
    try {
      await publish(first);
      const now = first.filter((_, i) => i % 10 === 0);
      await resend(now); // immediately: mostly in the same cut as the originals
      published += first.length + now.length;
      await caughtUp(); // archived means cut and committed
      const later = first.filter((_, i) => i % 7 === 0);
      await resend(later); // after the originals' files were cut and committed
      published += later.length;
      await caughtUp();
    } finally {
      await a.stop();
    }
    const b = await start("dedupe-b"); // a restart: nothing in memory
    try {
      const rest = events.slice(400);
      const again = first.filter((_, i) => i % 5 === 0);
      await publish(rest);
      await resend(again);
      published += rest.length + again.length;
      await caughtUp();
    } finally {
      await b.stop();
    }
    const ids = await archived();
    expect(published).toBeGreaterThan(events.length + 100);
    expect(new Set(ids)).toEqual(expected);
    expect(ids.length).toBe(expected.size);
  }, 300_000);
});
