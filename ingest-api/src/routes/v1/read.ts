import type { EventFilter } from "@reeltime/connectors";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../../context.ts";
import { sendError } from "../../errors.ts";
import { noteCall } from "../../plugins/api-record.ts";

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

/** Resolves the bearer read token; a token of app "*" reads every app. */
function guardRead(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
  wanted?: string,
): string | "*" | undefined {
  const header = req.headers.authorization ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  const auth = ctx.readTokens.resolve(token);
  if (!auth) {
    noteCall(req, { app: "unknown", accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_AUTH" });
    sendError(
      reply,
      "REELTIME_ERR_AUTH",
      token ? "the read token is not valid" : "send a read token: Authorization: Bearer <token>",
    );
    return undefined;
  }
  if (auth.app !== "*" && wanted !== undefined && wanted !== auth.app) {
    noteCall(req, { app: auth.app, keyId: auth.id, accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_FORBIDDEN" });
    sendError(reply, "REELTIME_ERR_FORBIDDEN", `this token reads app "${auth.app}" only`);
    return undefined;
  }
  noteCall(req, { app: auth.app === "*" ? (wanted ?? "all") : auth.app, keyId: auth.id, accepted: 0, rejected: 0 });
  return auth.app;
}

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

async function searchOr503<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    reply.log.warn({ err: { message: (err as Error).message } }, "search store failed");
    sendError(reply, "REELTIME_ERR_SEARCH_UNAVAILABLE", "the search store is unavailable; retry shortly", {
      retryAfterSeconds: 5,
    });
    return undefined;
  }
}

/** GET /v1/events/last and GET /v1/search: read tokens, bounded filters, newest first. */
export function readRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: FilterQuery }>(
    "/v1/events/last",
    { schema: { querystring: LastQuery } },
    async (req, reply) => {
      const scope = guardRead(req, reply, ctx, req.query.app);
      if (scope === undefined) return reply;
      const events = await searchOr503(reply, () => ctx.search.lastN(toFilter(req.query, scope), req.query.n));
      if (events === undefined) return reply;
      return { count: events.length, events };
    },
  );

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    "/v1/search",
    { schema: { querystring: SearchQuery } },
    async (req, reply) => {
      const scope = guardRead(req, reply, ctx, req.query.app);
      if (scope === undefined) return reply;
      const hits = await searchOr503(reply, () =>
        ctx.search.search(req.query.q, toFilter(req.query, scope), req.query.n),
      );
      if (hits === undefined) return reply;
      return { count: hits.length, hits: hits.map((h) => ({ score: h.score, event: h.event })) };
    },
  );
}
