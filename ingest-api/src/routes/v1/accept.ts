import type { EventResult, RequestContext } from "@reeltime/events";
import { sendError } from "@reeltime/http";
import type { ReeltimeError } from "@reeltime/runtime";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";
import { type PreparedAccept, type PrepareOptions, prepareAccepted } from "../../prepare.ts";
import { publishDeadLetters, publishPrepared, recordHeaders } from "../../publish.ts";

/** Options for prepareAccepted from the app's settings and this request's trace context. */
export function prepareOptions(app: AppContext): PrepareOptions {
  return {
    format: app.config.env.REELTIME_BUS_RECORD_FORMAT,
    maxMessageBytes: app.bus.maxMessageBytes,
    headers: recordHeaders(),
  };
}

/** Validated events of a route that runs on the event loop (POST /v1/cmcd): prepared, then published and answered. */
export function acceptValidated(
  req: FastifyRequest,
  reply: FastifyReply,
  app: AppContext,
  ctx: RequestContext & { keyId: string },
  results: EventResult[],
  raws: unknown[],
  stage: string,
): Promise<FastifyReply> {
  return acceptPrepared(req, reply, app, ctx, prepareAccepted(results, raws, ctx, stage, prepareOptions(app)));
}

/**
 * Publishes the valid events and dead-letters the invalid ones, then answers per event.
 * Nothing is acknowledged to the client before the bus acknowledged it: a bus failure is a
 * 503 with Retry-After, and the client retries the whole batch (duplicates are no-ops by event_id).
 * Only the prepared records and the answers wait for the acks.
 */
export function acceptPrepared(
  req: FastifyRequest,
  reply: FastifyReply,
  app: AppContext,
  ctx: RequestContext & { keyId: string },
  prepared: PreparedAccept,
): Promise<FastifyReply> {
  for (const reason of prepared.rejectedReasons) app.metrics.rejected.inc({ reason });
  const timeout = app.config.env.REELTIME_PUBLISH_TIMEOUT_MS;
  const started = process.hrtime.bigint();
  let stored: Promise<unknown>;
  try {
    stored = Promise.all([
      prepared.topics.length > 0 ? publishPrepared(app.bus, prepared.topics, timeout) : undefined,
      publishDeadLetters(app.bus, prepared.letters, timeout),
    ]);
  } catch (err) {
    stored = Promise.reject(err);
  }
  return answerOnceStored(req, reply, app, ctx, stored, started, {
    accepted: prepared.accepted,
    rejected: prepared.rejected,
    results: prepared.results,
    perFamily: prepared.perFamily,
  });
}

async function answerOnceStored(
  req: FastifyRequest,
  reply: FastifyReply,
  app: AppContext,
  ctx: RequestContext & { keyId: string },
  stored: Promise<unknown>,
  started: bigint,
  {
    accepted,
    rejected,
    results,
    perFamily,
  }: { accepted: number; rejected: number; results: string; perFamily: [string, number][] },
): Promise<FastifyReply> {
  try {
    await stored;
  } catch (err) {
    if ((err as ReeltimeError).code === "REELTIME_ERR_BUS_MESSAGE_TOO_LARGE")
      return sendError(
        reply,
        "REELTIME_ERR_TOO_LARGE",
        `an event is larger than the bus accepts: ${(err as Error).message}`,
      );
    app.metrics.busErrors.inc();
    req.log.warn({ err: { message: (err as Error).message, code: (err as ReeltimeError).code } }, "publish failed");
    noteCall(req, {
      app: ctx.appId,
      keyId: ctx.keyId,
      accepted: 0,
      rejected: 0,
      errorCode: "REELTIME_ERR_BUS_UNAVAILABLE",
    });
    return sendError(reply, "REELTIME_ERR_BUS_UNAVAILABLE", "events could not be stored right now; retry the batch", {
      retryAfterSeconds: 5,
    });
  }
  app.metrics.publishSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  for (const [family, n] of perFamily) app.metrics.accepted.inc({ family }, n);
  noteCall(req, { app: ctx.appId, keyId: ctx.keyId, accepted, rejected });

  // The per-event answers arrive as JSON text (written where they were made, maybe on a worker thread).
  const counts = `"accepted":${accepted},"rejected":${rejected},"results":${results}}`;
  reply.type("application/json; charset=utf-8");
  if (accepted === 0) {
    const error = {
      code: "REELTIME_ERR_SCHEMA",
      message: `all ${rejected} event(s) were invalid; see results for each problem`,
    };
    return reply.code(400).send(`{"error":${JSON.stringify(error)},${counts}`);
  }
  return reply.code(200).send(`{${counts}`);
}
