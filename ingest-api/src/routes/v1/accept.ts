import { boundedPayload } from "@reeltime/connectors";
import {
  type EventResult,
  enrich,
  familyOf,
  type Issue,
  type ReeltimeEvent,
  type RequestContext,
  requestRecord,
} from "@reeltime/events";
import { sendError } from "@reeltime/http";
import type { ReeltimeError } from "@reeltime/runtime";
import type { FastifyReply, FastifyRequest } from "fastify";
import { v7 as uuidv7 } from "uuid";
import type { AppContext } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";
import { type DeadLetterMessage, publishDeadLetters, publishEvents } from "../../publish.ts";

/** One line of the per-event answer: the SDK drops what is `ok: false` and never retries it. */
export interface EventAnswer {
  index: number;
  ok: boolean;
  event_id?: string;
  errors?: Issue[];
}

function deadLetter(
  r: Exclude<EventResult, { ok: true }>,
  raw: unknown,
  ctx: RequestContext,
  stage: string,
): DeadLetterMessage {
  return {
    dead_letter_id: uuidv7(),
    stage,
    reason: r.errors[0]?.reason ?? "invalid",
    message: r.errors
      .map((e) => `${e.pointer || "/"}: ${e.message}`)
      .join("; ")
      .slice(0, 2000),
    app_id: ctx.appId,
    ...(r.event_id ? { event_id: r.event_id } : {}),
    ...(r.event_type ? { event_type: r.event_type } : {}),
    received_at: ctx.receivedAt,
    request: requestRecord(ctx),
    payload: boundedPayload(raw),
  };
}

/**
 * Publishes the valid events and dead-letters the invalid ones, then answers per event.
 * Nothing is acknowledged to the client before the bus acknowledged it: a bus failure is a
 * 503 with Retry-After, and the client retries the whole batch (duplicates are no-ops by event_id).
 * The records are made before the wait for the acks, and the wait holds only them and the
 * answers: the request's events can go with the young generation's next scavenge.
 */
export function acceptValidated(
  req: FastifyRequest,
  reply: FastifyReply,
  app: AppContext,
  ctx: RequestContext & { keyId: string },
  results: EventResult[],
  raws: unknown[],
  stage: string,
): Promise<FastifyReply> {
  const valid: ReeltimeEvent[] = [];
  const letters: DeadLetterMessage[] = [];
  const answers: EventAnswer[] = results.map((r) => {
    if (r.ok) {
      valid.push(enrich(r.event as unknown as Record<string, unknown>, ctx) as unknown as ReeltimeEvent);
      return { index: r.index, ok: true, event_id: r.event.event_id };
    }
    letters.push(deadLetter(r, raws[r.index], ctx, stage));
    for (const e of r.errors) app.metrics.rejected.inc({ reason: e.reason });
    return { index: r.index, ok: false, ...(r.event_id ? { event_id: r.event_id } : {}), errors: r.errors };
  });
  // Counted once per family a request holds (most hold one), not once per event.
  const perFamily = new Map<string, number>();
  for (const e of valid) {
    const family = familyOf(e.event_type);
    perFamily.set(family, (perFamily.get(family) ?? 0) + 1);
  }
  const timeout = app.config.env.REELTIME_PUBLISH_TIMEOUT_MS;
  const started = process.hrtime.bigint();
  let stored: Promise<unknown>;
  try {
    stored = Promise.all([
      valid.length > 0 ? publishEvents(app.bus, valid, timeout, app.config.env.REELTIME_BUS_RECORD_FORMAT) : undefined,
      publishDeadLetters(app.bus, letters, timeout),
    ]);
  } catch (err) {
    stored = Promise.reject(err);
  }
  return answerOnceStored(req, reply, app, ctx, stored, started, {
    accepted: valid.length,
    rejected: letters.length,
    results: answers,
    perFamily,
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
  }: { accepted: number; rejected: number; results: EventAnswer[]; perFamily: Map<string, number> },
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

  const body = { accepted, rejected, results };
  if (accepted === 0)
    return reply.code(400).send({
      error: {
        code: "REELTIME_ERR_SCHEMA",
        message: `all ${rejected} event(s) were invalid; see results for each problem`,
      },
      ...body,
    });
  return reply.code(200).send(body);
}
