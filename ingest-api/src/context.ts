import type { Bus, SearchStore } from "@reeltime/connectors";
import { anyOriginAllowed, originAllowed, SecretRing } from "@reeltime/http";
import { type LiveViewersOptions, LiveViewersReader } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { IngestConfig } from "./config.ts";
import type { IngestMetrics } from "./metrics.ts";
import { RateLimits } from "./plugins/rate-limit.ts";
import { createPreparer, type Preparer } from "./prepare-pool.ts";

/** What `buildApp` is given: the settings and the already started bus and search store. */
/**
 * Routes another workspace adds behind the read guard (the host composes them: the catalogue's
 * GET /v1/videos, the notifier's webhook endpoints). `appOf` is the app the request's read
 * token reads ("*" for a token that reads every app); the guard has already refused a bad token.
 */
export type ReadMount = (api: FastifyInstance, appOf: (request: FastifyRequest) => string) => Promise<void>;

export interface AppDeps {
  config: IngestConfig;
  bus: Bus;
  search: SearchStore;
  logger?: Logger;
  metrics?: IngestMetrics;
  /** Extra read-guarded routes under /v1, mounted by the host (see ReadMount). */
  readMounts?: readonly ReadMount[];
  /**
   * Where GET /v1/live/viewers reads the viewers processor's figures (the archive; a short cache).
   * Without it the route is not served (404) and the live page hides its live streams panel.
   */
  liveViewers?: LiveViewersOptions;
}

/** Everything a route needs, resolved once at start-up. */
export interface AppContext {
  config: IngestConfig;
  bus: Bus;
  search: SearchStore;
  metrics: IngestMetrics;
  writeKeys: SecretRing;
  readTokens: SecretRing;
  limits: RateLimits;
  /** Every origin any app allows (answers preflights, which carry no key). */
  anyOrigin: (origin: string) => boolean;
  originAllowed: (app: string, origin: string) => boolean;
  /** The live viewers figures behind their cache, when the app was given an archive to read them from. */
  liveViewers?: LiveViewersReader;
  /** Where POST /v1/events bodies are prepared (REELTIME_INGEST_WORKERS); closed with the app. */
  preparer: Preparer;
}

/** The options every route plugin is registered with (besides its `prefix`). */
export interface RoutesOptions {
  ctx: AppContext;
}

/** Resolves the context once; the caller closes `limits` and `preparer` when the app closes. */
export async function createAppContext(
  deps: AppDeps & { logger: Logger; metrics: IngestMetrics },
): Promise<AppContext> {
  const { config, logger, metrics } = deps;
  const env = config.env;
  const allowed = config.corsOrigins;
  const limits = await RateLimits.create({
    perKeyPerMinute: env.REELTIME_RATE_LIMIT_PER_KEY,
    perIpPerMinute: env.REELTIME_RATE_LIMIT_PER_IP,
    redisUrl: env.REELTIME_REDIS_URL,
    logger,
    metrics,
  });
  return {
    config,
    bus: deps.bus,
    search: deps.search,
    metrics,
    writeKeys: new SecretRing(config.writeKeys),
    readTokens: new SecretRing(config.readTokens),
    limits,
    anyOrigin: (o) => anyOriginAllowed(allowed, o),
    originAllowed: (appId, o) => originAllowed(allowed, appId, o),
    ...(deps.liveViewers ? { liveViewers: new LiveViewersReader(deps.liveViewers) } : {}),
    preparer: createPreparer(env.REELTIME_INGEST_WORKERS),
  };
}
