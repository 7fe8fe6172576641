import type { Archive } from "@reeltime/connectors";

/** A worker's claim on one request: attempt n is the object `<prefix><request>/claim-<n>.json`. */
export interface Claim {
  request_id: string;
  worker: string;
  attempt: number;
  claimed_at: string;
}

/** The holder's renewal of its claim: `<prefix><request>/claim-<n>.alive.json`, rewritten while its job runs. */
interface Alive {
  worker: string;
  at: string;
}

/** What a worker learns when it tries to claim a request. */
export type ClaimOutcome =
  | { kind: "won"; claim: Claim }
  | { kind: "done"; record: Record<string, unknown> }
  | { kind: "held"; claim: Claim };

/** A claim not renewed for 2 min is taken over (its holder renews it every quarter of that). */
export const DEFAULT_CLAIM_TTL_MS = 2 * 60_000;

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

/**
 * Claims in the archive, written create-only (S3 `If-None-Match: *`, a hard link on the
 * filesystem), so two workers racing for one request never both win, whatever the bus did
 * (a redelivery after a rebalance, a request published twice). The holder renews its claim
 * while the job runs ({@link JobClaims.renew}); a claim neither written nor renewed for `ttlMs`,
 * with no result, is taken over by the next attempt (its worker is presumed dead), so a crashed
 * worker's request runs again within about `ttlMs`, not after the longest job could take. A
 * result (`done.json`) ends the request for good.
 */
export class JobClaims {
  readonly #archive: Archive;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(archive: Archive, opts: { prefix?: string; ttlMs?: number } = {}) {
    this.#archive = archive;
    this.#prefix = opts.prefix ?? "pipeline/claims/";
    this.#ttlMs = opts.ttlMs ?? DEFAULT_CLAIM_TTL_MS;
  }

  /** How long a claim lives without a renewal. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  #key(requestId: string, name: string): string {
    return `${this.#prefix}${requestId}/${name}`;
  }

  /** Tries to claim `requestId` for `worker`. */
  async claim(requestId: string, worker: string, now = new Date()): Promise<ClaimOutcome> {
    const done = await this.result(requestId);
    if (done) return { kind: "done", record: done };
    const last = await this.#lastAttempt(requestId);
    if (last > 0) {
      const held = dec<Claim>(await this.#archive.get(this.#key(requestId, `claim-${last}.json`)));
      // The holder itself (a retry after its job threw) carries on under the same claim.
      if (held.worker === worker) return { kind: "won", claim: held };
      if (now.getTime() - (await this.#lastSign(requestId, held)) < this.#ttlMs) return { kind: "held", claim: held };
    }
    const claim: Claim = { request_id: requestId, worker, attempt: last + 1, claimed_at: now.toISOString() };
    const won = await this.#archive.put(this.#key(requestId, `claim-${claim.attempt}.json`), enc(claim), {
      ifAbsent: true,
      contentType: "application/json",
    });
    if (won) return { kind: "won", claim };
    return this.claim(requestId, worker, now); // another worker took this attempt first
  }

  /**
   * Renews a claim this worker holds: "held" while it is still the newest attempt, "lost" once
   * another worker took the request over (this one was presumed dead: its job should stop).
   */
  async renew(claim: Claim, now = new Date()): Promise<"held" | "lost"> {
    if ((await this.#lastAttempt(claim.request_id)) !== claim.attempt) return "lost";
    const alive: Alive = { worker: claim.worker, at: now.toISOString() };
    await this.#archive.put(this.#key(claim.request_id, `claim-${claim.attempt}.alive.json`), enc(alive), {
      contentType: "application/json",
    });
    return "held";
  }

  async #lastAttempt(requestId: string): Promise<number> {
    const claims = (await this.#archive.list(`${this.#prefix}${requestId}/claim-`))
      .map((o) => Number(/claim-(\d+)\.json$/.exec(o.key)?.[1]))
      .filter((n) => Number.isInteger(n));
    return claims.length > 0 ? Math.max(...claims) : 0;
  }

  /** When the holder of a claim last showed it was alive: the claim, or its newest renewal. */
  async #lastSign(requestId: string, held: Claim): Promise<number> {
    const key = this.#key(requestId, `claim-${held.attempt}.alive.json`);
    const claimed = Date.parse(held.claimed_at);
    if (!(await this.#archive.exists(key))) return claimed;
    const alive = dec<Alive>(await this.#archive.get(key).catch(() => enc({ at: held.claimed_at })));
    return Math.max(claimed, Date.parse(alive.at) || 0);
  }

  /** Records the request's result; later claims answer `done` with it. */
  async complete(requestId: string, record: Record<string, unknown>): Promise<void> {
    await this.#archive.put(this.#key(requestId, "done.json"), enc(record), {
      ifAbsent: true,
      contentType: "application/json",
    });
  }

  /** The stored result of a request, if it ended. */
  async result(requestId: string): Promise<Record<string, unknown> | undefined> {
    const key = this.#key(requestId, "done.json");
    if (!(await this.#archive.exists(key))) return undefined;
    return dec<Record<string, unknown>>(await this.#archive.get(key));
  }
}

/** What {@link runUnderClaim} tells its caller about the claim while the job runs. */
export interface ClaimHooks {
  /** Another worker took the claim over (this one was presumed dead); the job's signal aborts. */
  onLost?: () => void;
  /** A renewal failed (e.g. the archive is briefly down); the next one tries again. */
  onRenewError?: (err: Error) => void;
}

/**
 * Runs `job` under `claim`, renewing it every quarter of the claims' TTL. Once another worker
 * took the claim over, the job's signal aborts and `lost` is true: the caller leaves the
 * result to the new holder.
 */
export async function runUnderClaim<T>(
  claims: JobClaims,
  claim: Claim,
  job: (signal: AbortSignal) => Promise<T>,
  hooks: ClaimHooks = {},
): Promise<{ result: T; lost: boolean }> {
  const lost = new AbortController();
  const renewing = setInterval(
    () =>
      void claims.renew(claim).then(
        (state) => {
          if (state === "lost" && !lost.signal.aborted) {
            hooks.onLost?.();
            lost.abort(new Error("claim lost"));
          }
        },
        (err: Error) => hooks.onRenewError?.(err),
      ),
    Math.max(250, Math.floor(claims.ttlMs / 4)),
  );
  renewing.unref();
  try {
    const result = await job(lost.signal);
    return { result, lost: lost.signal.aborted };
  } finally {
    clearInterval(renewing);
  }
}
