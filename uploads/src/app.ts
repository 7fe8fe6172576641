import cors from "@fastify/cors";
import type { Bus } from "@reeltime/connectors";
import {
  anyOriginAllowed,
  clientErrorResponse,
  errorHandler,
  originAllowed,
  SecretRing,
  sendError,
} from "@reeltime/http";
import { createLogger, type Logger, ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { UploadsConfig } from "./config.ts";
import { ArchiveParts, PARTS_ROUTE } from "./parts.ts";
import { secondsToMidnight, UploadService } from "./service.ts";
import type { UploadSessions } from "./store.ts";
import type { UploadTarget } from "./target.ts";

/** What `buildUploadsApp` (and the {@link uploadRoutes} plugin) is given: the settings and the started bus, store and target. */
export interface UploadsDeps {
  config: UploadsConfig;
  bus: Bus;
  store: UploadSessions;
  /** Where parts go: S3 with presigned URLs, or the archive with part URLs this API serves ({@link ArchiveParts}). */
  bucket: UploadTarget;
  logger?: Logger;
  now?: () => Date;
  /** How often final events that missed the bus are published again (default 30 s; 0: never). */
  republishEveryMs?: number;
}

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$" });

/** The body of `POST /v1/uploads`. */
export const CreateBody = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    content_type: Type.String({ minLength: 1, maxLength: 128 }),
    bytes: Type.Integer({ minimum: 1 }),
    sha256: Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$", description: "base64 SHA-256 of the whole file" }),
    title: Type.Optional(Type.String({ maxLength: 256 })),
    owner: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Id),
          email: Type.Optional(Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$", maxLength: 254 })),
        },
        { additionalProperties: false },
      ),
    ),
    part_bytes: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** The body of `POST /v1/uploads/:id/complete`: each part's number and the ETag its PUT was answered with. */
export const CompleteBody = Type.Object(
  {
    parts: Type.Array(
      Type.Object(
        {
          number: Type.Integer({ minimum: 1, maximum: 10_000 }),
          etag: Type.String({ minLength: 1, maxLength: 128 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);

const checkCreate = TypeCompiler.Compile(CreateBody);
const checkComplete = TypeCompiler.Compile(CompleteBody);

function parsed<T>(
  check: { Check(v: unknown): v is T; Errors(v: unknown): Iterable<{ path: string; message: string }> },
  body: unknown,
): T {
  if (check.Check(body)) return body;
  const first = [...check.Errors(body)].slice(0, 3);
  throw new ReeltimeError(
    "REELTIME_ERR_BODY",
    `the body is not valid: ${first.map((e) => `${e.path || "/"} ${e.message}`).join("; ")}`,
  );
}

declare module "fastify" {
  interface FastifyRequest {
    /** The write key's app, set by the upload routes' guard. */
    uploader: string | null;
  }
}

/** Strips the part URLs' signatures (and any key) from a URL before it is logged. */
const redactUrl = (url: string) => url.replace(/([?&](?:key|token)=)[^&]*/gi, "$1[redacted]");

/** Builds the upload API without listening, so tests can `inject`. */
export async function buildUploadsApp(deps: UploadsDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const env = config.env;
  const logger = deps.logger ?? createLogger("uploads");
  const allowed = config.corsOrigins;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: env.REELTIME_BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    clientErrorHandler: (err, socket) => {
      const response = clientErrorResponse(err as Error & { code?: string });
      if (response && socket.writable) socket.end(response);
      else socket.destroy();
    },
  });
  app.setErrorHandler(errorHandler({ bodyLimitBytes: env.REELTIME_BODY_LIMIT_BYTES }));
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, "REELTIME_ERR_NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`),
  );

  // A preflight from an origin no app allows: a 403 naming the origin and the setting.
  app.addHook("onRequest", async (req, reply) => {
    const origin = req.headers.origin;
    if (req.method !== "OPTIONS" || origin === undefined || req.headers["access-control-request-method"] === undefined)
      return;
    if (anyOriginAllowed(allowed, origin)) return;
    return sendError(
      reply,
      "REELTIME_ERR_CORS",
      `origin ${origin.slice(0, 200)} is not allowed by any app; add it to REELTIME_CORS_ORIGINS as app=${origin.slice(0, 200)}`,
    );
  });
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin === undefined ? false : anyOriginAllowed(allowed, origin)),
    // PUT: the part URLs this API serves itself (the embedded default); a browser reads each part's ETag.
    methods: ["GET", "POST", "PUT", "OPTIONS"],
    allowedHeaders: ["content-type", "x-reeltime-key"],
    exposedHeaders: ["retry-after", "etag"],
    maxAge: 600,
  });
  app.addHook("onResponse", async (req, reply) => {
    req.log.info(
      { method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });

  await app.register(uploadRoutes, { ...deps, logger, prefix: "/v1" });
  app.get("/healthz", async () => ({ ok: true }));
  return app;
}

/**
 * The upload API's routes, for a host to register under its `/v1` prefix (its own server, or
 * the ingest server of `reeltime dev`): the write-key routes (start, status, complete) and, when
 * the target is the archive, the signed part route. Also publishes again, every
 * `republishEveryMs`, final events that missed the bus. The host brings the error handler (the
 * project's error shape) and CORS.
 */
export const uploadRoutes: FastifyPluginAsync<UploadsDeps> = async (api, deps) => {
  const logger = deps.logger ?? createLogger("uploads");
  const keys = new SecretRing(deps.config.writeKeys);
  const allowed = deps.config.corsOrigins;
  const service = new UploadService({ ...deps, logger });

  // The part URLs this API hands out on the embedded default: the signed URL is the credential
  // (no write key, as for S3's presigned URLs), the body is read raw and no further than the
  // signed length.
  const parts = deps.bucket instanceof ArchiveParts ? deps.bucket : undefined;
  if (parts)
    await api.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
      raw.put<{
        Params: { upload: string; part: string };
        Querystring: { length?: string; expires?: string; token?: string };
      }>(PARTS_ROUTE, async (req, reply) => {
        const { n, length } = parts.verify(req.params.upload, req.params.part, req.query);
        const declared = req.headers["content-length"];
        if (declared !== undefined && Number(declared) !== length)
          throw new ReeltimeError(
            "REELTIME_ERR_PART_SIZE",
            `part ${n} must be exactly ${length} bytes, as its URL was signed for; Content-Length says ${String(declared).slice(0, 20)}`,
          );
        const open = await parts.open(req.params.upload);
        if (open === undefined)
          throw new ReeltimeError(
            "REELTIME_ERR_UPLOAD_STATE",
            "this upload is no longer open (completed, aborted or expired); GET /v1/uploads/:id says which, or start a new upload",
          );
        const owner = /^uploads\/([^/]+)\//.exec(open.key)?.[1] ?? "";
        const origin = req.headers.origin;
        if (origin !== undefined && !originAllowed(allowed, owner, origin))
          throw new ReeltimeError(
            "REELTIME_ERR_CORS",
            `origin ${origin.slice(0, 200)} is not allowed for app "${owner}"; add it to REELTIME_CORS_ORIGINS`,
          );
        const body = (req.body ?? []) as AsyncIterable<Uint8Array>;
        const etag = await parts.putPart(req.params.upload, n, length, body);
        return reply.code(200).header("etag", etag).send();
      });
    });

  await api.register(async (keyed) => {
    keyed.decorateRequest("uploader", null);
    // The write key (header x-reeltime-key, as for ingest) names the app; its CORS allowlist applies.
    keyed.addHook("onRequest", async (req, reply) => {
      const header = req.headers["x-reeltime-key"];
      const key = Array.isArray(header) ? header[0] : header;
      const auth = keys.resolve(key);
      if (!auth)
        return sendError(
          reply,
          "REELTIME_ERR_AUTH",
          key
            ? "the write key is not valid; check the key configured for this app"
            : "no write key: send it in the x-reeltime-key header",
        );
      const origin = req.headers.origin;
      if (origin !== undefined && !originAllowed(allowed, auth.app, origin))
        return sendError(
          reply,
          "REELTIME_ERR_CORS",
          `origin ${origin.slice(0, 200)} is not allowed for app "${auth.app}"; add it to REELTIME_CORS_ORIGINS`,
        );
      req.uploader = auth.app;
    });
    const appOf = (req: FastifyRequest): string => {
      if (req.uploader === null) throw new Error(`${req.url}: an upload route is not behind the key guard`);
      return req.uploader;
    };

    keyed.post("/uploads", async (req, reply) => {
      const body = parsed<Static<typeof CreateBody>>(checkCreate, req.body);
      try {
        return reply.code(201).send(await service.create(appOf(req), body));
      } catch (err) {
        if (err instanceof ReeltimeError && err.code === "REELTIME_ERR_QUOTA")
          return sendError(reply, err.code, err.message, { retryAfterSeconds: secondsToMidnight(new Date()) });
        throw err;
      }
    });
    keyed.get<{ Params: { id: string } }>("/uploads/:id", async (req) => service.status(appOf(req), req.params.id));
    // A subtitle file of one language, sent as it is (text/vtt), before the upload is completed.
    keyed.addContentTypeParser("text/vtt", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    keyed.put<{ Params: { id: string; lang: string } }>("/uploads/:id/subtitles/:lang", async (req) => {
      const ct = String(req.headers["content-type"] ?? "");
      if (!/^text\/vtt\s*(;|$)/i.test(ct) || !(req.body instanceof Uint8Array) || req.body.byteLength === 0)
        throw new ReeltimeError(
          "REELTIME_ERR_MEDIA_TYPE",
          "send the subtitle file as the body, with content-type: text/vtt",
        );
      return service.attachSubtitles(appOf(req), req.params.id, req.params.lang, req.body);
    });
    keyed.post<{ Params: { id: string } }>("/uploads/:id/complete", async (req) => {
      const body = parsed<Static<typeof CompleteBody>>(checkComplete, req.body);
      return service.complete(appOf(req), req.params.id, body.parts);
    });
  });

  // A final event that met a bus outage is published again even if its client never retries.
  const every = deps.republishEveryMs ?? 30_000;
  if (every > 0) {
    let timer: NodeJS.Timeout | undefined;
    const sweep = () =>
      service
        .republishPending()
        .then((n) => {
          if (n > 0) logger.info({ published: n }, "published upload events that had missed the bus");
        })
        .catch((err: unknown) => logger.warn({ err }, "upload events still unpublished; retrying later"));
    api.addHook("onReady", async () => {
      timer = setInterval(sweep, every);
      timer.unref();
    });
    api.addHook("onClose", async () => clearInterval(timer));
  }
};
