import type { EventFilter } from "@reeltime/connectors";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyPluginAsync } from "fastify";
import type { RoutesOptions } from "../../context.ts";
import { liveViewersRoute } from "./live-viewers.ts";
import { readGuard, readScopeOf } from "./read-guard.ts";
import { statsRoute } from "./stats.ts";

const IdParam = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$" });

/** The only filters a caller can pass: exact ids, event types and a time range. Never query DSL or SQL. */
const Filters = {
  app: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" })),
  view_id: Type.Optional(IdParam),
  session_id: Type.Optional(IdParam),
  viewer_id: Type.Optional(IdParam),
  video_id: Type.Optional(IdParam),
  job_id: Type.Optional(IdParam),
  event_type: Type.Optional(Type.String({ maxLength: 512, pattern: "^[a-z_.]+(,[a-z_.]+)*$" })),
  from: Type.Optional(Type.String({ format: "date-time" })),
  to: Type.Optional(Type.String({ format: "date-time" })),
};
const LastQuery = Type.Object(
  { n: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), ...Filters },
  { additionalProperties: false },
);
const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 200 }),
    n: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    ...Filters,
  },
  { additionalProperties: false },
);
type FilterQuery = Static<typeof LastQuery>;

function toFilter(q: FilterQuery | Static<typeof SearchQuery>, scope: string): EventFilter {
  const app = scope === "*" ? q.app : scope;
  return {
    ...(app ? { app_id: app } : {}),
    ...(q.view_id ? { view_id: q.view_id } : {}),
    ...(q.session_id ? { session_id: q.session_id } : {}),
    ...(q.viewer_id ? { viewer_id: q.viewer_id } : {}),
    ...(q.video_id ? { video_id: q.video_id } : {}),
    ...(q.job_id ? { job_id: q.job_id } : {}),
    ...(q.event_type ? { event_types: q.event_type.split(",") } : {}),
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
  };
}

/**
 * The read API (`GET /events/last`, `GET /search`, `GET /stats`, and `GET /live/viewers` where the
 * app was given the archive; registered under `/v1`): read
 * tokens, bounded filters, newest first. Its own encapsulated context: the read guard's
 * `onRequest` hook and the `request.readScope` decoration apply to these routes only.
 */
export const readRoutes: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  app.decorateRequest("readScope", null);
  app.addHook("onRequest", readGuard(ctx));

  app.get<{ Querystring: FilterQuery }>("/events/last", { schema: { querystring: LastQuery } }, async (req) => {
    const scope = readScopeOf(req);
    // A store failure is thrown to the error handler: an outage is a 503, anything else is not.
    const events = await ctx.search.lastN(toFilter(req.query, scope), req.query.n);
    return { count: events.length, events };
  });

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    "/search",
    { schema: { querystring: SearchQuery } },
    async (req) => {
      const scope = readScopeOf(req);
      const hits = await ctx.search.search(req.query.q, toFilter(req.query, scope), req.query.n);
      return { count: hits.length, hits: hits.map((h) => ({ score: h.score, event: h.event })) };
    },
  );

  await app.register(statsRoute, { ctx });
  if (ctx.liveViewers) liveViewersRoute(app, ctx.liveViewers);
};
