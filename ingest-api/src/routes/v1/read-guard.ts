import { sendError } from "@reeltime/http";
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { AppContext } from "../../context.ts";
import { noteCall } from "../../plugins/api-record.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the read guard on the read routes: the app the token reads, or "*" for every app; null elsewhere. */
    readScope: string | null;
  }
}

/**
 * The read routes' `onRequest` hook: resolves the bearer read token (a token of app "*" reads
 * every app) and refuses a token asking for another app's `?app=`. A refusal is answered here;
 * an accepted call leaves its scope on `request.readScope`.
 */
export function readGuard(ctx: AppContext): onRequestAsyncHookHandler {
  return async (req, reply) => {
    const app = (req.query as { app?: unknown } | undefined)?.app;
    // A repeated or odd `app` is left to the route's query schema, which refuses it with a 400.
    const scope = resolveScope(req, reply, ctx, typeof app === "string" ? app : undefined);
    if (scope === undefined) return reply;
    req.readScope = scope;
  };
}

/** The scope the guard resolved; only called from routes behind the read guard. */
export function readScopeOf(req: FastifyRequest): string {
  if (req.readScope === null) throw new Error(`${req.url}: a read route is not behind the read guard`);
  return req.readScope;
}

function resolveScope(req: FastifyRequest, reply: FastifyReply, ctx: AppContext, wanted?: string): string | undefined {
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
