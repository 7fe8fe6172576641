import { type EventResult, validateEvent } from "@reeltime/events";
import { sendError } from "@reeltime/http";
import type { FastifyPluginAsync } from "fastify";
import { cmcdToEvent, decodeCmcdBody } from "../../cmcd.ts";
import type { RoutesOptions } from "../../context.ts";
import { acceptValidated } from "./accept.ts";
import { writerOf } from "./write-guard.ts";

/**
 * POST /v1/cmcd: CMCD v2 event-mode reports (hls.js posts `application/cmcd`, one per line; JSON
 * objects too), decoded and validated with @svta/cml-cmcd and mapped into `playback.cmcd` events.
 * Answered per report like /v1/events: a bad report is refused alone, the others are stored.
 */
export const cmcdRoute: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  app.post("/cmcd", async (req, reply) => {
    const guard = writerOf(req);
    const body = decodeCmcdBody(req.body);
    if (!body.ok) return sendError(reply, "REELTIME_ERR_BODY", body.message);
    if (body.reports.length === 0) return sendError(reply, "REELTIME_ERR_BODY", "the body holds no CMCD report");
    const max = ctx.config.env.REELTIME_MAX_EVENTS_PER_BATCH;
    if (body.reports.length > max)
      return sendError(reply, "REELTIME_ERR_BODY", `send at most ${max} CMCD reports per request`);
    const now = Date.now();
    const results: EventResult[] = body.reports.map((r) =>
      r.ok ? validateEvent(cmcdToEvent(r.data, now), r.index) : { index: r.index, ok: false, errors: r.errors },
    );
    const raws = body.reports.map((r) => r.raw);
    return acceptValidated(req, reply, ctx, guard, results, raws, "ingest-cmcd");
  });
};
