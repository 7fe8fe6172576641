import { resolve } from "node:path";
import type { SearchStore } from "@reeltime/ports";
import type { ConnectionEnv } from "@reeltime/runtime";
import { EmbeddedSearchStore } from "./store.ts";

/** The embedded SearchStore, keeping its files in `<REELTIME_DATA_DIR>/search`. */
export function createEmbeddedSearchStore(env: Pick<ConnectionEnv, "REELTIME_DATA_DIR">): SearchStore {
  return new EmbeddedSearchStore(resolve(env.REELTIME_DATA_DIR, "search"));
}

export { EmbeddedSearchStore };
