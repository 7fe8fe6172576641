import type { Archive } from "@reeltime/connectors";

/** A worker's claim on one request: attempt n is the object `<prefix><request>/claim-<n>.json`. */
export interface Claim {
  request_id: string;
  worker: string;
  attempt: number;
  claimed_at: string;
}

/** What a worker learns when it tries to claim a request. */
export type ClaimOutcome =
  | { kind: "won"; claim: Claim }
  | { kind: "done"; record: Record<string, unknown> }
  | { kind: "held"; claim: Claim };

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

/**
 * Claims in the archive, written create-only (S3 `If-None-Match: *`, a hard link on the
 * filesystem), so two workers racing for one request never both win, whatever the bus did
 * (a redelivery after a rebalance, a request published twice). A claim older than `ttlMs`
 * with no result is taken over by the next attempt (its worker is presumed dead); a result
 * (`done.json`) ends the request for good.
 */
export class JobClaims {
  readonly #archive: Archive;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(archive: Archive, opts: { prefix?: string; ttlMs?: number } = {}) {
    this.#archive = archive;
    this.#prefix = opts.prefix ?? "pipeline/claims/";
    this.#ttlMs = opts.ttlMs ?? 60 * 60_000;
  }

  #key(requestId: string, name: string): string {
    return `${this.#prefix}${requestId}/${name}`;
  }

  /** Tries to claim `requestId` for `worker`. */
  async claim(requestId: string, worker: string, now = new Date()): Promise<ClaimOutcome> {
    const done = await this.result(requestId);
    if (done) return { kind: "done", record: done };
    const claims = (await this.#archive.list(`${this.#prefix}${requestId}/claim-`))
      .map((o) => Number(/claim-(\d+)\.json$/.exec(o.key)?.[1]))
      .filter((n) => Number.isInteger(n));
    const last = claims.length > 0 ? Math.max(...claims) : 0;
    if (last > 0) {
      const held = dec<Claim>(await this.#archive.get(this.#key(requestId, `claim-${last}.json`)));
      // The holder itself (a retry after its job threw) carries on under the same claim.
      if (held.worker === worker) return { kind: "won", claim: held };
      if (now.getTime() - Date.parse(held.claimed_at) < this.#ttlMs) return { kind: "held", claim: held };
    }
    const claim: Claim = { request_id: requestId, worker, attempt: last + 1, claimed_at: now.toISOString() };
    const won = await this.#archive.put(this.#key(requestId, `claim-${claim.attempt}.json`), enc(claim), {
      ifAbsent: true,
      contentType: "application/json",
    });
    if (won) return { kind: "won", claim };
    return this.claim(requestId, worker, now); // another worker took this attempt first
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
