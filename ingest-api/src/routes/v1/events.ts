import { CLIENT_FAMILIES, requestRecord, validateBatch, withoutServerFields } from "@reeltime/events";
import { sendError } from "@reeltime/http";
import type { FastifyPluginAsync } from "fastify";
import type { RoutesOptions } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";
import { publishDeadLetters } from "../../publish.ts";
import { acceptValidated } from "./accept.ts";
import { writerOf } from "./write-guard.ts";

function withoutServerFieldsInBatch(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutServerFields);
  if (body !== null && typeof body === "object" && Array.isArray((body as { events?: unknown }).events))
    return { events: (body as { events: unknown[] }).events.map(withoutServerFields) };
  return body;
}

/** POST /v1/events: a batch (`[...]` or `{"events": [...]}`) as JSON or text/plain, optionally gzip. */
export const eventsRoute: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  app.post("/events", async (req, reply) => {
    const guard = writerOf(req);
    ctx.metrics.bytes.inc(Number(req.headers["content-length"] ?? 0) || 0);
    if (req.body === undefined)
      return sendError(reply, "REELTIME_ERR_MEDIA_TYPE", "send Content-Type application/json or text/plain");
    const batch = validateBatch(withoutServerFieldsInBatch(req.body), {
      maxEvents: ctx.config.env.REELTIME_MAX_EVENTS_PER_BATCH,
      families: CLIENT_FAMILIES,
    });
    if (batch.batchErrors.length > 0) {
      const issue = batch.batchErrors[0]!;
      ctx.metrics.rejected.inc({ reason: issue.reason });
      noteCall(req, {
        app: guard.appId,
        keyId: guard.keyId,
        accepted: 0,
        rejected: 1,
        errorCode: "REELTIME_ERR_SCHEMA",
      });
      try {
        await publishDeadLetters(
          ctx.bus,
          [
            {
              dead_letter_id: crypto.randomUUID(),
              stage: "ingest",
              reason: issue.reason,
              message: issue.message,
              app_id: guard.appId,
              received_at: guard.receivedAt,
              request: requestRecord(guard),
              payload: JSON.stringify(req.body)?.slice(0, 64 * 1024) ?? null,
            },
          ],
          ctx.config.env.REELTIME_PUBLISH_TIMEOUT_MS,
        );
      } catch {
        ctx.metrics.busErrors.inc();
      }
      return sendError(reply, "REELTIME_ERR_SCHEMA", issue.message, { details: batch.batchErrors });
    }
    const raws = Array.isArray(req.body) ? req.body : (req.body as { events: unknown[] }).events;
    return acceptValidated(req, reply, ctx, guard, batch.results, raws, "ingest");
  });
};
