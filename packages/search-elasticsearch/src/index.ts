import type { SearchStore } from "@reeltime/ports";
import { DEFAULTS, type ElasticsearchStoreOptions, type EsEnv, makeClient } from "./client.ts";
import { ElasticsearchSearchStore } from "./store.ts";

/** The Elasticsearch SearchStore for REELTIME_ES_URL (API key, or user and password, when set). */
export function createElasticsearchStore(env: EsEnv, options: ElasticsearchStoreOptions = {}): SearchStore {
  const tuning = { ...DEFAULTS, ...options };
  return new ElasticsearchSearchStore(
    makeClient(env, tuning),
    tuning,
    env.REELTIME_ES_URL,
    env.REELTIME_ES_REPLICAS ?? 0,
  );
}

export type { ElasticsearchStoreOptions };
