/** What to do with a batch after the ingest API answered `status`. */
export type Verdict = "ok" | "retry" | "drop";

/**
 * 2xx: delivered. 5xx, 429 and 408: the server is busy or down, so retry with backoff.
 * Everything else (400, 401, 403, 404, 410, 413, 422...) says the request itself is bad: never retry.
 */
export function verdictOf(status: number): Verdict {
  if (status >= 200 && status < 300) return "ok";
  if (status === 429 || status === 408 || status >= 500) return "retry";
  return "drop";
}

/** Exponential backoff with equal jitter: attempt 0 waits 0.5–1 × base, doubling up to `cap`. */
export function backoffMs(attempt: number, random: number, base = 1000, cap = 60_000): number {
  const full = Math.min(cap, base * 2 ** attempt);
  return Math.round(full / 2 + (random * full) / 2);
}

/** `Retry-After` in seconds (HTTP dates are ignored), bounded to five minutes. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(s * 1000, 300_000) : undefined;
}

/** One entry of the ingest API's per-event answer. */
export interface EventOutcome {
  index: number;
  ok: boolean;
  errors?: unknown[];
}

/** Reads `{ results: [{ index, ok, errors? }] }`; anything else is undefined. */
export function parseResults(body: unknown): EventOutcome[] | undefined {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return undefined;
  return results.filter(
    (r): r is EventOutcome =>
      typeof r === "object" && r !== null && typeof r.index === "number" && typeof r.ok === "boolean",
  );
}
