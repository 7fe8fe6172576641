import { parseUserAgent, type RequestContext, truncateIp } from "@reeltime/events";
import { sendError } from "@reeltime/http";
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { AppContext } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";

/** Who is writing, resolved by the write guard: the key's app and id, and the request's context. */
export type Writer = RequestContext & { keyId: string };

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the write guard on the write routes; null elsewhere. */
    writer: Writer | null;
  }
}

/**
 * The write routes' `onRequest` hook: checks the write key (header `x-reeltime-key`, or `?key=`
 * for beacons), the app's CORS allowlist and both rate limits before the body is read. A refusal
 * is answered here; an accepted call leaves its {@link Writer} on `request.writer`.
 */
export function writeGuard(ctx: AppContext): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const writer = await resolveWriter(req, reply, ctx);
    if (writer === undefined) return reply;
    req.writer = writer;
  };
}

/** The writer the guard resolved; only called from routes behind the write guard. */
export function writerOf(req: FastifyRequest): Writer {
  if (req.writer === null) throw new Error(`${req.url}: a write route is not behind the write guard`);
  return req.writer;
}

async function resolveWriter(req: FastifyRequest, reply: FastifyReply, ctx: AppContext): Promise<Writer | undefined> {
  const env = ctx.config.env;
  const header = req.headers["x-reeltime-key"];
  const key = (Array.isArray(header) ? header[0] : header) ?? (req.query as { key?: string } | undefined)?.key;
  const auth = ctx.writeKeys.resolve(key);
  if (!auth) {
    noteCall(req, { app: "unknown", accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_AUTH" });
    sendError(
      reply,
      "REELTIME_ERR_AUTH",
      key
        ? "the write key is not valid; check the key configured for this app"
        : "no write key: send it in the x-reeltime-key header (or ?key= for sendBeacon)",
    );
    return undefined;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !ctx.originAllowed(auth.app, origin)) {
    noteCall(req, { app: auth.app, keyId: auth.id, accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_CORS" });
    sendError(
      reply,
      "REELTIME_ERR_CORS",
      `origin ${origin.slice(0, 200)} is not allowed for app "${auth.app}"; add it to REELTIME_CORS_ORIGINS`,
    );
    return undefined;
  }
  const ip = truncateIp(req.ip, env.REELTIME_IPV4_PREFIX, env.REELTIME_IPV6_PREFIX);
  const limited = await ctx.limits.take(auth.id, ip ?? "unknown");
  if (limited) {
    noteCall(req, { app: auth.app, keyId: auth.id, accepted: 0, rejected: 0, errorCode: "REELTIME_ERR_RATE_LIMITED" });
    sendError(
      reply,
      "REELTIME_ERR_RATE_LIMITED",
      limited.limit === "key"
        ? `too many requests for this write key; retry in ${limited.retryAfter} s`
        : `too many requests from this address; retry in ${limited.retryAfter} s`,
      { retryAfterSeconds: limited.retryAfter },
    );
    return undefined;
  }
  const countryHeader = env.REELTIME_COUNTRY_HEADER?.toLowerCase();
  const country = countryHeader ? String(req.headers[countryHeader] ?? "").toUpperCase() : "";
  const ua = parseUserAgent(req.headers["user-agent"]);
  return {
    appId: auth.app,
    keyId: auth.id,
    receivedAt: new Date().toISOString(),
    ...(ip ? { ip } : {}),
    ...(/^[A-Z]{2}$/.test(country) ? { country } : {}),
    ...(ua ? { userAgent: ua } : {}),
  };
}
