import type { Archive } from "@reeltime/connectors";
import type { ReadMount } from "@reeltime/ingest-api";
import { readLiveViewers } from "@reeltime/stream-processors";

const Query = {
  type: "object",
  properties: { app: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" } },
  additionalProperties: false,
} as const;

/**
 * GET /v1/live/viewers behind the read guard: every live stream's viewers now, views started,
 * startup failures, rebuffer ratio and latency p50/p95 of the last minute, added up from the
 * viewers processor's per-partition figures in the archive. A token reads its own app's streams;
 * one that reads every app may narrow with `?app=`.
 */
export function liveViewersMount(archive: Archive): ReadMount {
  return async (api, appOf) => {
    api.get<{ Querystring: { app?: string } }>("/live/viewers", { schema: { querystring: Query } }, async (req) => {
      const scope = appOf(req);
      const app = scope === "*" ? req.query.app : scope;
      return readLiveViewers(archive, app === undefined ? {} : { app });
    });
  };
}
