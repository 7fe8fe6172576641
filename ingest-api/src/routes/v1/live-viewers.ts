import type { LiveViewersReader } from "@reeltime/processing";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { readScopeOf } from "./read-guard.ts";

const Query = Type.Object(
  { app: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" })) },
  { additionalProperties: false },
);

/**
 * GET /v1/live/viewers behind the read guard: every live stream's viewers now, views started,
 * startup failures, rebuffer ratio and latency p50/p95 of the last minute, added up from the
 * viewers processor's per-partition figures in the archive (`_live/viewers/`). A token reads its
 * own app's streams; one that reads every app may narrow with `?app=`. The figures are read once
 * per second at most, whatever the number of live pages polling (LiveViewersReader). An archive
 * that cannot be reached is the error handler's 503 REELTIME_ERR_ARCHIVE_UNAVAILABLE.
 */
export function liveViewersRoute(api: FastifyInstance, reader: LiveViewersReader): void {
  api.get<{ Querystring: Static<typeof Query> }>("/live/viewers", { schema: { querystring: Query } }, async (req) => {
    const scope = readScopeOf(req);
    return reader.read(scope === "*" ? req.query.app : scope);
  });
}
