import { setTimeout as sleep } from "node:timers/promises";
import { Client, errors } from "@elastic/elasticsearch";
import { type ConnectionEnv, ReeltimeError, unavailable } from "@reeltime/runtime";

export type EsEnv = Pick<
  ConnectionEnv,
  "REELTIME_ES_URL" | "REELTIME_ES_API_KEY" | "REELTIME_ES_USERNAME" | "REELTIME_ES_PASSWORD"
> &
  Partial<Pick<ConnectionEnv, "REELTIME_ES_REPLICAS">>;

/** Tuning of the Elasticsearch store; the defaults suit a processor indexing continuously. */
export interface ElasticsearchStoreOptions {
  /** Retries of a request (or of the bulk items) refused with 429/5xx or not reached at all. */
  retries?: number;
  /** First backoff; doubled per retry with jitter, capped by maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Bytes of NDJSON per _bulk request (the field notes advise 1-5 MB). */
  maxRequestBytes?: number;
  /** _bulk requests in flight at once for one index() call. */
  concurrency?: number;
  requestTimeoutMs?: number;
}

export type Tuning = Required<ElasticsearchStoreOptions>;

export const DEFAULTS: Tuning = {
  retries: 5,
  backoffMs: 200,
  maxBackoffMs: 5_000,
  maxRequestBytes: 2 * 1024 * 1024,
  concurrency: 2,
  requestTimeoutMs: 30_000,
};

/** The v8 client for REELTIME_ES_URL with an API key or a user and password; retries are ours. */
export function makeClient(env: EsEnv, tuning: Tuning): Client {
  if (env.REELTIME_ES_USERNAME !== undefined && env.REELTIME_ES_PASSWORD === undefined && !env.REELTIME_ES_API_KEY)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      "REELTIME_ES_USERNAME is set without REELTIME_ES_PASSWORD: set both, or REELTIME_ES_API_KEY instead",
    );
  const auth = env.REELTIME_ES_API_KEY
    ? { apiKey: env.REELTIME_ES_API_KEY }
    : env.REELTIME_ES_USERNAME !== undefined
      ? { username: env.REELTIME_ES_USERNAME, password: env.REELTIME_ES_PASSWORD ?? "" }
      : undefined;
  return new Client({
    node: env.REELTIME_ES_URL,
    ...(auth ? { auth } : {}),
    maxRetries: 0,
    requestTimeout: tuning.requestTimeoutMs,
  });
}

/** 429 and 5xx: Elasticsearch is overloaded or failing over, so the same request may succeed later. */
export const isTransientStatus = (status: number): boolean => status === 429 || status >= 500;

export function isTransient(err: unknown): boolean {
  if (err instanceof errors.ResponseError) return isTransientStatus(err.meta.statusCode ?? 0);
  return (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  );
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof errors.ResponseError ? err.meta.statusCode : undefined;
}

/** Exponential backoff with full jitter. */
export function backoff(tuning: Tuning, attempt: number): Promise<void> {
  const cap = Math.min(tuning.maxBackoffMs, tuning.backoffMs * 2 ** attempt);
  return sleep(cap / 2 + (Math.random() * cap) / 2);
}

export function describeError(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const e = (err.body as { error?: string | { type?: string; reason?: string } } | undefined)?.error;
    if (typeof e === "string") return `HTTP ${err.meta.statusCode}: ${e}`;
    return `HTTP ${err.meta.statusCode}${e?.type ? ` ${e.type}` : ""}${e?.reason ? `: ${e.reason}` : ""}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `fn`, retrying transient failures with backoff. When retries run out the error is the
 * retryable REELTIME_ERR_SEARCH_UNAVAILABLE; anything else is a non-retryable REELTIME_ERR_SEARCH.
 */
export async function withRetry<T>(tuning: Tuning, url: string, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err))
        throw new ReeltimeError("REELTIME_ERR_SEARCH", `${what} failed at ${url}: ${describeError(err)}`, {
          upstreamStatus: statusOf(err) ?? 500,
          cause: err,
        });
      if (attempt >= tuning.retries)
        throw unavailable(
          "search",
          `${what} failed at ${url} after ${attempt + 1} attempts: ${describeError(err)}; check that Elasticsearch is running and REELTIME_ES_URL points at it`,
          err,
        );
      await backoff(tuning, attempt);
    }
  }
}
