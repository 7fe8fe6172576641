import { randomBytes } from "node:crypto";
import { Client } from "@elastic/elasticsearch";
import { createBus, createSearchStore, type SearchStore } from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import kafkajs from "kafkajs";
import { PrefixedBus } from "./isolated-bus.ts";

/** A short id for this run: topic prefixes, consumer groups and app ids carry it (server processes inherit it). */
export const RUN_ID =
  process.env.REELTIME_BENCH_RUN_ID ?? `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

/** Connections to the real local services (`npx reeltime infra up`). */
export function realEnv(extra: Record<string, string> = {}): ConnectionEnv {
  return loadEnv(ConnectionEnv, {
    REELTIME_BUS: "kafka",
    REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(","),
    REELTIME_KAFKA_CLIENT_ID: `reeltime-bench-${RUN_ID}`,
    REELTIME_SEARCH: "elasticsearch",
    REELTIME_ES_URL: LOCAL_ENDPOINTS.elasticsearch.url,
    ...extra,
  });
}

export const topicPrefix = (what: string) => `bench-${RUN_ID}-${what}.`;

/** The Kafka bus (the real adapter) behind a per-run topic prefix, with every contract topic created. */
export async function isolatedKafkaBus(
  what: string,
  partitions = 4,
  // The Kafka client a server process was started with (REELTIME_KAFKA_DRIVER), kafkajs by default.
  driver = process.env.REELTIME_KAFKA_DRIVER,
): Promise<PrefixedBus> {
  const bus = new PrefixedBus(
    await createBus(realEnv(driver ? { REELTIME_KAFKA_DRIVER: driver } : {})),
    topicPrefix(what),
  );
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions })));
  return bus;
}

export async function elasticsearchStore(): Promise<SearchStore> {
  const store = await createSearchStore(realEnv());
  await store.start();
  return store;
}

/** Deletes this run's topics (every topic under `bench-<run>-`). */
export async function deleteRunTopics(): Promise<void> {
  const kafka = new kafkajs.Kafka({
    clientId: `reeltime-bench-admin-${RUN_ID}`,
    brokers: [...LOCAL_ENDPOINTS.kafka.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`bench-${RUN_ID}-`));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

export function esClient(): Client {
  return new Client({ node: LOCAL_ENDPOINTS.elasticsearch.url, requestTimeout: 120_000 });
}

/**
 * Deletes the events of apps whose id starts with `appPrefix` from the events data streams.
 * By id from each backing index: this Elasticsearch has no _delete_by_query (no reindex module).
 */
export async function deleteAppEvents(appPrefix: string): Promise<number> {
  const es = esClient();
  let deleted = 0;
  try {
    for (;;) {
      await es.indices.refresh({ index: "reeltime-events-*", ignore_unavailable: true, allow_no_indices: true });
      const res = await es.search({
        index: "reeltime-events-*",
        query: { prefix: { app_id: appPrefix } },
        size: 5000,
        _source: false,
        track_total_hits: false,
        ignore_unavailable: true,
        allow_no_indices: true,
      });
      const hits = res.hits.hits;
      if (hits.length === 0) return deleted;
      const body = hits.map((h) => `${JSON.stringify({ delete: { _index: h._index, _id: h._id } })}\n`).join("");
      const out = await es.bulk({ operations: body as unknown as object[], refresh: true });
      deleted += out.items.filter((i) => i.delete?.status === 200).length;
    }
  } finally {
    await es.close();
  }
}

/** Documents of one app in the events data streams (after a refresh). */
export async function countApp(app: string): Promise<number> {
  const es = esClient();
  try {
    await es.indices.refresh({ index: "reeltime-events-*", ignore_unavailable: true, allow_no_indices: true });
    const res = await es.count({
      index: "reeltime-events-*",
      query: { term: { app_id: app } },
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    return res.count;
  } finally {
    await es.close();
  }
}
