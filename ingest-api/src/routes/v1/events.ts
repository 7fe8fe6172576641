import { sendError } from "@reeltime/http";
import type { FastifyPluginAsync } from "fastify";
import { charsetRefusal } from "../../body.ts";
import type { RoutesOptions } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";
import { publishDeadLetters } from "../../publish.ts";
import { acceptPrepared, prepareOptions } from "./accept.ts";
import { writerOf } from "./write-guard.ts";

/**
 * The body of POST /v1/events as received, its bytes: decoded and parsed with the rest of the
 * request's work (prepare.ts), on a worker thread when there is one.
 */
class BodyBytes {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
}

/**
 * POST /v1/events: a batch (`[...]` or `{"events": [...]}`) as JSON or text/plain, optionally gzip.
 * The body is read as bytes here and decoded and parsed where it is validated and encoded: on
 * the event loop, or on a worker thread (REELTIME_INGEST_WORKERS; ctx.preparer), which then
 * takes the bytes without a copy and the event loop never holds the body as a string.
 */
export const eventsRoute: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  // This plugin's own parsers (Fastify encapsulates them): the app's parse JSON on the event loop.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "text/plain"], { parseAs: "buffer" }, (req, body, done) => {
    const refused = charsetRefusal(req.headers["content-type"]);
    if (refused) return done(refused);
    done(null, new BodyBytes(body as Buffer));
  });
  app.post("/events", async (req, reply) => {
    const guard = writerOf(req);
    ctx.metrics.bytes.inc(Number(req.headers["content-length"] ?? 0) || 0);
    if (!(req.body instanceof BodyBytes))
      return sendError(reply, "REELTIME_ERR_MEDIA_TYPE", "send Content-Type application/json or text/plain");
    const prepared = await ctx.preparer.prepare({
      body: req.body.bytes,
      ctx: guard,
      maxEvents: ctx.config.env.REELTIME_MAX_EVENTS_PER_BATCH,
      ...prepareOptions(ctx),
    });
    if (prepared.kind === "json") {
      noteCall(req, { app: guard.appId, keyId: guard.keyId, accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_JSON" });
      return sendError(reply, "REELTIME_ERR_JSON", prepared.message);
    }
    if (prepared.kind === "batch") {
      const { issue } = prepared;
      ctx.metrics.rejected.inc({ reason: issue.reason });
      noteCall(req, {
        app: guard.appId,
        keyId: guard.keyId,
        accepted: 0,
        rejected: 1,
        errorCode: "REELTIME_ERR_SCHEMA",
      });
      try {
        await publishDeadLetters(ctx.bus, [prepared.letter], ctx.config.env.REELTIME_PUBLISH_TIMEOUT_MS);
      } catch {
        ctx.metrics.busErrors.inc();
      }
      return sendError(reply, "REELTIME_ERR_SCHEMA", issue.message, { details: prepared.issues });
    }
    return acceptPrepared(req, reply, ctx, guard, prepared);
  });
};
