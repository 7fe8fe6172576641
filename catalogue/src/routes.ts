import type { Database } from "@reeltime/database";
import { VIDEO_STATUSES } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { type CatalogueRow, getVideo, listVideos } from "./store.ts";
import { catalogueSummary } from "./summary.ts";

export interface CatalogueRoutesOptions {
  db: Database;
  /**
   * The app the request's read token reads (the host's read guard resolves it), or "*" for a
   * token that reads every app. Throw (or answer) before it when there is no valid token.
   */
  appOf(request: FastifyRequest): string;
  /** The clock of the summary's window (tests pin it). */
  now?: () => Date;
}

/** The largest page `GET /v1/videos` answers. */
export const MAX_LIMIT = 100;

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Unsafe<(typeof VIDEO_STATUSES)[number]>({ type: "string", enum: [...VIDEO_STATUSES] })),
    from: Type.Optional(Type.String({ format: "date-time" })),
    to: Type.Optional(Type.String({ format: "date-time" })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** For a token of every app ("*"): one app only. */
    app: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" })),
  },
  { additionalProperties: false },
);
/** The longest window of `GET /v1/catalogue/stats`: a week. */
export const MAX_SUMMARY_MINUTES = 7 * 24 * 60;
const SummaryQuery = Type.Object(
  {
    minutes: Type.Integer({ minimum: 1, maximum: MAX_SUMMARY_MINUTES, default: 60 }),
    app: ListQuery.properties.app,
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$" }),
});

/** The API's copy of a row: everything but the owner's email (the notifier reads it from the table). */
function visible(r: CatalogueRow) {
  const { owner_email: _private, ...rest } = r;
  return rest;
}

function appFilter(scope: string, asked: string | undefined): string | undefined {
  if (scope === "*") return asked;
  if (asked !== undefined && asked !== scope)
    throw new ReeltimeError("REELTIME_ERR_FORBIDDEN", `this token reads app "${scope}" only`);
  return scope;
}

/**
 * The catalogue's read API, registered under `/v1` behind the host's read-token guard:
 * - `GET /videos`: videos of the token's app ordered by (updated_at, video_id), filtered by
 *   `status` and `from`/`to` on updated_at (from inclusive, to exclusive), at most `limit`
 *   (≤ 100) per page; `next_cursor` (opaque) fetches the next page, absent on the last.
 * - `GET /videos/:id`: one video of the token's app, REELTIME_ERR_NOT_FOUND otherwise.
 * - `GET /catalogue/stats`: the live view's catalogue panel: the token's videos by status, time
 *   from upload to ready (median, p95, max) of those that became ready in the last `minutes`
 *   (default 60, at most a week), and the ten most recently updated.
 * Errors are ReeltimeErrors for the host's error handler; a database outage is a retryable 503.
 */
export const catalogueRoutes: FastifyPluginAsync<CatalogueRoutesOptions> = async (app, { db, appOf, now }) => {
  app.get<{ Querystring: Static<typeof ListQuery> }>("/videos", { schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query;
    const appId = appFilter(appOf(req), q.app);
    if (q.from !== undefined && q.to !== undefined && Date.parse(q.from) >= Date.parse(q.to))
      throw new ReeltimeError("REELTIME_ERR_QUERY", "from must be before to");
    const rows = await listVideos(db, {
      ...(appId !== undefined ? { app_id: appId } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.from !== undefined ? { from: new Date(q.from) } : {}),
      ...(q.to !== undefined ? { to: new Date(q.to) } : {}),
      ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor) } : {}),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      count: page.length,
      videos: page.map(visible),
      ...(rows.length > q.limit && last
        ? { next_cursor: encodeCursor({ updated_at: last.updated_at, video_id: last.video_id, app_id: last.app_id }) }
        : {}),
    };
  });

  app.get<{ Params: Static<typeof IdParams>; Querystring: { app?: string } }>(
    "/videos/:id",
    {
      schema: {
        params: IdParams,
        querystring: Type.Object({ app: ListQuery.properties.app }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const appId = appFilter(appOf(req), req.query.app);
      const row = await getVideo(db, appId, req.params.id);
      if (row === undefined) throw new ReeltimeError("REELTIME_ERR_NOT_FOUND", `no video ${req.params.id}`);
      return visible(row);
    },
  );

  app.get<{ Querystring: Static<typeof SummaryQuery> }>(
    "/catalogue/stats",
    { schema: { querystring: SummaryQuery } },
    async (req) => {
      const appId = appFilter(appOf(req), req.query.app);
      const to = now?.() ?? new Date();
      const from = new Date(to.getTime() - req.query.minutes * 60_000);
      const summary = await catalogueSummary(db, { ...(appId !== undefined ? { app_id: appId } : {}), from, to });
      return { generated_at: to.toISOString(), minutes: req.query.minutes, ...summary };
    },
  );
};
