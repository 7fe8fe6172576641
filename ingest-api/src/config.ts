import { appSecrets, corsOrigins } from "@reeltime/http";
import { loadEnv, ReeltimeError } from "@reeltime/runtime";
import { type Static, Type } from "@sinclair/typebox";
import { parseTrustProxy } from "./trust-proxy.ts";

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });

/** Environment of the ingest API (connections come from ConnectionEnv). */
export const IngestEnv = Type.Object({
  PORT: Int(8080, 0, 65535, "ingest API port"),
  HOST: Type.String({ default: "127.0.0.1", description: "address to bind (0.0.0.0 behind a load balancer)" }),
  REELTIME_ENV: Type.Unsafe<"development" | "production">({
    type: "string",
    enum: ["development", "production"],
    default: "development",
    description: "production refuses to start without write keys and read tokens",
  }),
  REELTIME_WRITE_KEYS: Type.Optional(
    Type.String({ description: "write keys as app:key pairs, comma-separated (e.g. shop:wk_3f9...,tv:wk_81c...)" }),
  ),
  REELTIME_READ_TOKENS: Type.Optional(
    Type.String({ description: "read tokens as app:token pairs, comma-separated; app * reads every app" }),
  ),
  REELTIME_CORS_ORIGINS: Type.Optional(
    Type.String({
      description:
        "allowed browser origins per app: app=https://a.example|https://b.example;app2=... (* allows any origin)",
    }),
  ),
  REELTIME_BODY_LIMIT_BYTES: Int(1_048_576, 1024, 16_777_216, "largest request body, after decompression"),
  REELTIME_MAX_EVENTS_PER_BATCH: Int(500, 1, 500, "events per request"),
  REELTIME_RATE_LIMIT_PER_KEY: Int(6000, 1, 10_000_000, "requests per minute per write key"),
  REELTIME_RATE_LIMIT_PER_IP: Int(600, 1, 10_000_000, "requests per minute per client IP"),
  REELTIME_REDIS_URL: Type.Optional(
    Type.String({
      pattern: "^rediss?://",
      description:
        "Redis/Valkey (redis:// or rediss://) holding rate-limit counters shared by every replica; unset: per process",
    }),
  ),
  REELTIME_IPV4_PREFIX: Int(24, 0, 32, "bits of an IPv4 client address kept"),
  REELTIME_IPV6_PREFIX: Int(48, 0, 128, "bits of an IPv6 client address kept"),
  REELTIME_COUNTRY_HEADER: Type.Optional(
    Type.String({ description: "trusted CDN header carrying the viewer country (e.g. cloudfront-viewer-country)" }),
  ),
  REELTIME_TRUST_PROXY: Type.String({
    default: "false",
    description:
      "trust X-Forwarded-For only from these load-balancer addresses/CIDRs, comma-separated; false: from nobody; true (anyone) is refused in production",
  }),
  REELTIME_BUS_RECORD_FORMAT: Type.Unsafe<"batch-v1" | "event">({
    type: "string",
    enum: ["batch-v1", "event"],
    default: "batch-v1",
    description:
      "how accepted events are written to the bus: batch-v1, one record per view (or app) per request; event, one record per event, for consumers older than batch-v1 during an upgrade (see docs/benchmarks.md)",
  }),
  REELTIME_PUBLISH_TIMEOUT_MS: Int(5000, 100, 60_000, "longest wait for the bus to acknowledge before answering 503"),
  REELTIME_INGEST_WORKERS: Int(
    0,
    0,
    64,
    "worker threads that parse, validate and encode POST /v1/events bodies (0: on the event loop); see docs/benchmarks.md",
  ),
  REELTIME_MAX_EVENT_LOOP_DELAY_MS: Int(1000, 10, 60_000, "event-loop lag above which load is shed with 503"),
  REELTIME_MAX_HEAP_BYTES: Int(0, 0, Number.MAX_SAFE_INTEGER, "heap use above which load is shed (0: off)"),
});
export type IngestEnv = Static<typeof IngestEnv>;

export interface IngestConfig {
  env: IngestEnv;
  /** write key → app id */
  writeKeys: Map<string, string>;
  /** read token → app id, or "*" for every app */
  readTokens: Map<string, string>;
  /** app id → allowed origins */
  corsOrigins: Map<string, Set<string>>;
}

/** Reads and checks the ingest configuration; production refuses to run without keys and tokens. */
export function loadIngestConfig(source: NodeJS.ProcessEnv = process.env): IngestConfig {
  const env = loadEnv(IngestEnv, source);
  const config = {
    env,
    writeKeys: appSecrets(env.REELTIME_WRITE_KEYS, "REELTIME_WRITE_KEYS"),
    readTokens: appSecrets(env.REELTIME_READ_TOKENS, "REELTIME_READ_TOKENS", true),
    corsOrigins: corsOrigins(env.REELTIME_CORS_ORIGINS),
  };
  parseTrustProxy(env.REELTIME_TRUST_PROXY, env.REELTIME_ENV);
  if (env.REELTIME_ENV === "production" && (config.writeKeys.size === 0 || config.readTokens.size === 0))
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      "production needs REELTIME_WRITE_KEYS and REELTIME_READ_TOKENS: set both (app:secret pairs) before starting",
    );
  return config;
}
