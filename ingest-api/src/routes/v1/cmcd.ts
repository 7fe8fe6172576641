import { validateEvent } from "@reeltime/events";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../../app.ts";
import { type CmcdReport, cmcdToEvent, parseCmcd } from "../../cmcd.ts";
import { sendError } from "../../errors.ts";
import { acceptValidated } from "./accept.ts";
import { guardWrite } from "./write-guard.ts";

/** POST /v1/cmcd: CMCD v2 event-mode reports from hls.js, mapped into `playback.cmcd` events. */
export function cmcdRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post("/v1/cmcd", async (req, reply) => {
    const guard = await guardWrite(req, reply, ctx);
    if (!guard) return reply;
    let reports: CmcdReport[];
    try {
      reports = typeof req.body === "string" ? parseCmcd(req.body) : parseCmcd(JSON.stringify(req.body ?? ""));
    } catch (err) {
      return sendError(reply, "REELTIME_ERR_BODY", `not a CMCD report: ${(err as Error).message}`);
    }
    if (reports.length === 0) return sendError(reply, "REELTIME_ERR_BODY", "the body holds no CMCD report");
    if (reports.length > ctx.config.env.REELTIME_MAX_EVENTS_PER_BATCH)
      return sendError(
        reply,
        "REELTIME_ERR_BODY",
        `send at most ${ctx.config.env.REELTIME_MAX_EVENTS_PER_BATCH} reports per request`,
      );
    const now = Date.now();
    const events = reports.map((r) => cmcdToEvent(r, now));
    const results = events.map((e, i) => validateEvent(e, i));
    return acceptValidated(req, reply, ctx, guard, results, reports, "ingest-cmcd");
  });
}
