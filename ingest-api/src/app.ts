import { pipeline } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";
import cors from "@fastify/cors";
import underPressure from "@fastify/under-pressure";
import { warmUpValidators } from "@reeltime/events";
import { clientErrorResponse, errorHandler, sendError } from "@reeltime/http";
import { createLogger, ReeltimeError } from "@reeltime/runtime";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import { charsetRefusal, wellFormed } from "./body.ts";
import { type AppContext, type AppDeps, createAppContext } from "./context.ts";
import { ingestMetrics } from "./metrics.ts";
import { apiRecorder } from "./plugins/api-record.ts";
import { healthRoutes } from "./routes/health.ts";
import { liveRoutes } from "./routes/v1/live.ts";
import { readRoutes } from "./routes/v1/read.ts";
import { readGuard, readScopeOf } from "./routes/v1/read-guard.ts";
import { writeRoutes } from "./routes/v1/write.ts";
import { parseTrustProxy } from "./trust-proxy.ts";

/** Strips secrets from a URL before it is logged (beacons carry the write key as `key=`). */
export const redactUrl = (url: string) => url.replace(/([?&](?:key|token)=)[^&]*/gi, "$1[redacted]");

/** Builds the ingest API without listening, so tests can `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const env = config.env;
  const logger = deps.logger ?? createLogger("ingest-api");
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: env.REELTIME_BODY_LIMIT_BYTES,
    trustProxy: parseTrustProxy(env.REELTIME_TRUST_PROXY, env.REELTIME_ENV),
    // Request lines are logged by our own onResponse hook, with secrets stripped from URLs.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Unknown query parameters are refused with a 400, never silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
    forceCloseConnections: false,
    // Oversized headers and malformed requests never reach a route: answer them in the
    // project's error shape instead of Fastify's default body.
    clientErrorHandler: (err, socket) => {
      const response = clientErrorResponse(err as Error & { code?: string });
      if (response && socket.writable) socket.end(response);
      else socket.destroy();
    },
  });

  const metrics = deps.metrics ?? ingestMetrics();
  const ctx: AppContext = await createAppContext({ ...deps, logger, metrics });
  app.addHook("onClose", async () => {
    await ctx.limits.close();
    await ctx.preparer.close();
  });

  // Bodies: JSON and text/plain (sendBeacon without preflight), optionally gzip/deflate.
  // The body limit counts decompressed bytes, so a small bomb cannot expand past it.
  app.removeAllContentTypeParsers();
  const parseJson = (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    const refused = charsetRefusal(req.headers["content-type"]);
    if (refused) return done(refused);
    try {
      done(null, wellFormed(JSON.parse(body), body));
    } catch (err) {
      done(new ReeltimeError("REELTIME_ERR_JSON", `the body is not valid JSON: ${(err as Error).message}`));
    }
  };
  app.addContentTypeParser(["application/json", "text/plain"], { parseAs: "string" }, parseJson);
  app.addContentTypeParser("application/cmcd", { parseAs: "string" }, (req, body, done) => {
    const refused = charsetRefusal(req.headers["content-type"]);
    if (refused) return done(refused);
    done(null, String(body).toWellFormed());
  });
  app.addHook("preParsing", async (req, _reply, payload) => {
    const enc = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
    if (enc === "identity") return payload;
    if (enc !== "gzip" && enc !== "deflate") {
      throw new ReeltimeError(
        "REELTIME_ERR_MEDIA_TYPE",
        `content-encoding "${enc}" is not supported; send gzip, deflate or none`,
      );
    }
    delete req.headers["content-length"];
    const inflate = enc === "gzip" ? createGunzip() : createInflate();
    // Fastify listens for the stream's error and answers 400; the no-op keeps a second
    // zlib error (after Fastify detached) from becoming an unhandled exception.
    inflate.on("error", () => undefined);
    pipeline(payload, inflate, () => undefined);
    return inflate;
  });

  app.setErrorHandler(errorHandler({ bodyLimitBytes: env.REELTIME_BODY_LIMIT_BYTES }));

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, "REELTIME_ERR_NOT_FOUND", `no route ${req.method} ${redactUrl(req.url).split("?")[0]}`),
  );

  await app.register(apiRecorder, {
    bus: ctx.bus,
    publishTimeoutMs: env.REELTIME_PUBLISH_TIMEOUT_MS,
    recordFormat: env.REELTIME_BUS_RECORD_FORMAT,
    errors: ctx.metrics.apiRecordErrors,
  });
  // A preflight from an origin no app allows: a 403 that names the origin and the setting (the
  // CORS plugin would leave it unanswered, and it fell through to "no route OPTIONS").
  app.addHook("onRequest", async (req, reply) => {
    const origin = req.headers.origin;
    if (req.method !== "OPTIONS" || origin === undefined || req.headers["access-control-request-method"] === undefined)
      return;
    if (ctx.anyOrigin(origin)) return;
    return sendError(
      reply,
      "REELTIME_ERR_CORS",
      `origin ${origin.slice(0, 200)} is not allowed by any app; add it to REELTIME_CORS_ORIGINS as app=${origin.slice(0, 200)}`,
    );
  });
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin === undefined ? false : ctx.anyOrigin(origin)),
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "content-encoding", "x-reeltime-key", "authorization"],
    // Browsers hide response headers a cross-origin page was not granted: the SDK must read
    // Retry-After on 429/503 to wait as told instead of its own (shorter) backoff.
    exposedHeaders: ["retry-after"],
    maxAge: 600,
  });

  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    ctx.metrics.requests.inc({ route, status: `${Math.floor(reply.statusCode / 100)}xx` });
    req.log.info(
      { method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });

  // Health and metrics stay answerable under load; only the API routes shed load.
  await app.register(healthRoutes, { ctx });
  warmUpValidators();
  await app.register(async (api) => {
    await api.register(underPressure, {
      maxEventLoopDelay: env.REELTIME_MAX_EVENT_LOOP_DELAY_MS,
      ...(env.REELTIME_MAX_HEAP_BYTES > 0 ? { maxHeapUsedBytes: env.REELTIME_MAX_HEAP_BYTES } : {}),
      retryAfter: 5,
      pressureHandler: (_req, reply) => {
        sendError(reply, "REELTIME_ERR_OVERLOADED", "the ingest API is overloaded; retry after a few seconds", {
          retryAfterSeconds: 5,
        });
      },
    });
    // Each group is encapsulated: the write guard and the read guard are onRequest hooks of
    // their own group only.
    await api.register(writeRoutes, { prefix: "/v1", ctx });
    await api.register(readRoutes, { prefix: "/v1", ctx });
    // Routes of other workspaces the host mounts behind the same read guard (an encapsulated
    // group of their own: the guard's hook and scope, nothing else of the read routes).
    const mounts = deps.readMounts ?? [];
    if (mounts.length > 0)
      await api.register(
        async (group) => {
          group.decorateRequest("readScope", null);
          group.addHook("onRequest", readGuard(ctx));
          for (const mount of mounts) await mount(group, readScopeOf);
        },
        { prefix: "/v1" },
      );
    await api.register(liveRoutes, { prefix: "/live" });
  });
  return app;
}
