import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** Two fixed windows of one minute: one per write key, one per (truncated) client IP. */
export class RateLimits {
  readonly #perKey: RateLimiterMemory;
  readonly #perIp: RateLimiterMemory;
  constructor(perKeyPerMinute: number, perIpPerMinute: number) {
    this.#perKey = new RateLimiterMemory({ points: perKeyPerMinute, duration: 60, keyPrefix: "key" });
    this.#perIp = new RateLimiterMemory({ points: perIpPerMinute, duration: 60, keyPrefix: "ip" });
  }

  /** Undefined when allowed; otherwise which limit and how many seconds until it frees up. */
  async take(keyId: string, ip: string): Promise<{ limit: "key" | "ip"; retryAfter: number } | undefined> {
    try {
      await this.#perIp.consume(ip);
    } catch (res) {
      if (res instanceof RateLimiterRes) return { limit: "ip", retryAfter: Math.ceil(res.msBeforeNext / 1000) };
      throw res;
    }
    try {
      await this.#perKey.consume(keyId);
    } catch (res) {
      if (res instanceof RateLimiterRes) return { limit: "key", retryAfter: Math.ceil(res.msBeforeNext / 1000) };
      throw res;
    }
    return undefined;
  }
}
