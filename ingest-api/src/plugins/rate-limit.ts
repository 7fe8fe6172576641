import type { Counter, Gauge, Logger } from "@reeltime/runtime";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

/** Marks the options object of a consume that the local insurance limiter answered. */
const ANSWERED_LOCALLY = Symbol("answeredLocally");
type ConsumeOptions = { [ANSWERED_LOCALLY]?: true };

/** The per-process limiter that answers while the shared store cannot: it marks each answer. */
class LocalInsurance extends RateLimiterMemory {
  override consume(key: string | number, points?: number, options: ConsumeOptions = {}) {
    options[ANSWERED_LOCALLY] = true;
    return super.consume(key, points, options as { [key: string]: unknown });
  }
}

/** Where counters live right now: shared across replicas, or per process. */
export type LimitStore = "shared" | "local";

export interface RateLimitOptions {
  perKeyPerMinute: number;
  perIpPerMinute: number;
  /** redis:// or rediss:// URL of Redis/Valkey; unset keeps counters per process. */
  redisUrl?: string | undefined;
  logger?: Pick<Logger, "warn" | "info"> | undefined;
  metrics?: { rateLimitStoreUp: Gauge; rateLimitFallbacks: Counter } | undefined;
  /** Longest a limiter call waits for the store before the local limit answers. */
  storeTimeoutMs?: number;
  /** Longest start-up waits for the first connection (the store may come later). */
  connectWaitMs?: number;
}

/** The host:port of a Redis URL, without credentials, for logs. */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "6379"}`;
  } catch {
    return "(unparsable REELTIME_REDIS_URL)";
  }
}

/**
 * Two fixed windows of one minute: one per write key, one per (truncated) client IP. With a
 * Redis/Valkey URL the counters are shared by every ingest replica; when the store cannot answer
 * a per-process limiter does (ingest never fails closed on the limiter), and each switch between
 * the two is logged once and counted.
 */
export class RateLimits {
  readonly #perKey: RateLimiterMemory | RateLimiterRedis;
  readonly #perIp: RateLimiterMemory | RateLimiterRedis;
  readonly #client: Redis | undefined;
  readonly #opts: RateLimitOptions;
  #store: LimitStore;

  /**
   * Limits shared through `client` (an ioredis client), or per process without one. Make them with
   * `RateLimits.create`, which builds the client from `redisUrl` and waits for its first connection.
   */
  constructor(opts: RateLimitOptions, client?: Redis) {
    this.#opts = opts;
    this.#client = client;
    this.#store = client ? "shared" : "local";
    const make = (points: number, keyPrefix: string) => {
      if (!client) return new RateLimiterMemory({ points, duration: 60, keyPrefix });
      return new RateLimiterRedis({
        storeClient: client,
        points,
        duration: 60,
        keyPrefix: `reeltime:rl:${keyPrefix}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new LocalInsurance({ points, duration: 60, keyPrefix: `local:${keyPrefix}` }),
      });
    };
    this.#perKey = make(opts.perKeyPerMinute, "key");
    this.#perIp = make(opts.perIpPerMinute, "ip");
    opts.metrics?.rateLimitStoreUp.set(client ? 1 : 0);
  }

  /** Builds the limits; with a Redis URL, loads the client and waits briefly for its first connection. */
  static async create(opts: RateLimitOptions): Promise<RateLimits> {
    if (!opts.redisUrl) return new RateLimits(opts);
    const { Redis } = await import("ioredis");
    const client = new Redis(opts.redisUrl, {
      // Fail fast when disconnected or slow: the local limiter answers instead of a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.storeTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect: true,
    });
    // Connection errors surface as the limiter's fallback (logged once per switch), not per retry.
    client.on("error", () => undefined);
    const limits = new RateLimits(opts, client);
    const wait = opts.connectWaitMs ?? 2000;
    await Promise.race([client.connect().catch(() => undefined), new Promise((r) => setTimeout(r, wait).unref())]);
    if (client.status === "ready") opts.logger?.info({ store: redisTarget(opts.redisUrl) }, "rate limits shared");
    return limits;
  }

  /** Where the counters lived at the last limiter call. */
  get store(): LimitStore {
    return this.#store;
  }

  /** Undefined when allowed; otherwise which limit and how many seconds until it frees up. */
  async take(keyId: string, ip: string): Promise<{ limit: "key" | "ip"; retryAfter: number } | undefined> {
    const ipWait = await this.#consume(this.#perIp, ip);
    if (ipWait !== undefined) return { limit: "ip", retryAfter: ipWait };
    const keyWait = await this.#consume(this.#perKey, keyId);
    if (keyWait !== undefined) return { limit: "key", retryAfter: keyWait };
    return undefined;
  }

  /** Undefined when the point was taken, else the seconds until the window frees up. */
  async #consume(limiter: RateLimiterMemory | RateLimiterRedis, key: string): Promise<number | undefined> {
    const options: ConsumeOptions = {};
    try {
      await limiter.consume(key, 1, options as { [key: string]: unknown });
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.ceil(res.msBeforeNext / 1000);
      throw res;
    } finally {
      if (this.#client) this.#observe(options[ANSWERED_LOCALLY] ? "local" : "shared");
    }
  }

  #observe(now: LimitStore): void {
    if (now === this.#store) return;
    this.#store = now;
    const { logger, metrics, redisUrl = "" } = this.#opts;
    const store = redisTarget(redisUrl);
    if (now === "local") {
      metrics?.rateLimitFallbacks.inc();
      metrics?.rateLimitStoreUp.set(0);
      logger?.warn(
        { store },
        "rate-limit store unreachable: limits are per process until it answers again (check REELTIME_REDIS_URL)",
      );
    } else {
      metrics?.rateLimitStoreUp.set(1);
      logger?.info({ store }, "rate-limit store answers again: limits are shared");
    }
  }

  /** Closes the store connection. */
  async close(): Promise<void> {
    if (!this.#client) return;
    await this.#client.quit().catch(() => this.#client?.disconnect());
  }
}
