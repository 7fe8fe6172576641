import type { Bus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { cancelled, WORKER_ERRORS } from "../errors.ts";
import { JobReporter } from "../job/reporter.ts";
import { type RetryOptions, withRetry } from "../job/retry.ts";
import { toJobError } from "../job/steps.ts";
import { type ClaimHooks, JobClaims, runUnderClaim } from "../worker/claims.ts";
import { type ChunkEncoderEnv, type EncodedChunk, encodeChunk } from "./encode.ts";
import { CHUNK_CLAIMS_PREFIX, type ChunkRecord, type ChunkRequest, chunkKeys } from "./units.ts";

/** How a unit handed to a runner ended. */
export type UnitOutcome = "completed" | "failed" | "skipped" | "lost" | "cancelled";

export interface ChunkRunnerOptions {
  workerId: string;
  retry: RetryOptions;
  /** A unit claim neither written nor renewed for this long, with no result, is taken over (default 2 min). */
  claimTtlMs?: number;
  /** Minimum gap between two progress events of one chunk (default 5 s). */
  progressIntervalMs?: number;
  onEvent?: (event: JobEvent) => void;
  hooks?: ClaimHooks;
  /** Runs the encode of one unit (default: {@link encodeChunk}); tests stand in for ffmpeg here or in `env.run`. */
  encode?: typeof encodeChunk;
}

/** Seq numbers one claim attempt of a unit may use, after the unit's `seq_base`. */
const SEQ_PER_CLAIM = 1000;

/**
 * Runs chunk work units with the transcode requests' recovery: a create-only claim per unit in
 * the archive (pipeline/claims/chunks/<unit>/), renewed while the encode runs, so a redelivered
 * or republished unit is encoded once, and a unit whose worker died (its claim not renewed for
 * the TTL) is taken over by the next delivery, alone. A failed encode is retried in place
 * (`retry`); a unit that failed for good records its failure, which fails the job. A unit of a
 * job that gave up (the split's `cancelled.json`) is skipped, and a running one stops.
 *
 * Every attempt is a `chunk` step of the job: `job.step_started`, `job.step_progress`,
 * `job.step_failed`, `job.step_completed`, each naming the rendition and `chunk: {index, count}`.
 */
export class ChunkRunner {
  readonly claims: JobClaims;
  readonly #bus: Bus;
  readonly #env: ChunkEncoderEnv;
  readonly #o: ChunkRunnerOptions;

  constructor(deps: { bus: Bus; env: ChunkEncoderEnv }, options: ChunkRunnerOptions) {
    this.#bus = deps.bus;
    this.#env = deps.env;
    this.#o = options;
    this.claims = new JobClaims(deps.env.archive, {
      prefix: CHUNK_CLAIMS_PREFIX,
      ...(options.claimTtlMs ? { ttlMs: options.claimTtlMs } : {}),
    });
  }

  get workerId(): string {
    return this.#o.workerId;
  }

  /**
   * Runs one unit to its end. Throws REELTIME_ERR_CLAIM_HELD when another live worker holds it
   * (the bus delivers it again after a backoff, until that worker ends or its claim expires).
   */
  async run(request: ChunkRequest): Promise<UnitOutcome> {
    const archive = this.#env.archive;
    const cancelKey = chunkKeys(request.job.split).cancelled;
    if (await archive.exists(cancelKey)) return "cancelled";
    const outcome = await this.claims.claim(request.unit_id, this.#o.workerId);
    if (outcome.kind === "done") return "skipped";
    if (outcome.kind === "held")
      throw new ReeltimeError(
        WORKER_ERRORS.claimHeld,
        `chunk unit ${request.unit_id} is held by worker ${outcome.claim.worker} since ${outcome.claim.claimed_at}; ` +
          "retrying until it ends",
      );
    const claim = outcome.claim;
    const { result, lost } = await runUnderClaim(
      this.claims,
      claim,
      (signal) => this.#attempts(request, claim.attempt, signal, cancelKey),
      this.#o.hooks ?? {},
    );
    if (lost) return "lost";
    if (result === "cancelled") return "cancelled";
    await this.claims.complete(request.unit_id, { ...result });
    return result.status;
  }

  async #attempts(
    request: ChunkRequest,
    claimAttempt: number,
    claimSignal: AbortSignal,
    cancelKey: string,
  ): Promise<ChunkRecord | "cancelled"> {
    const { job, chunk, rendition } = request;
    const reporter = new JobReporter(
      this.#bus,
      { jobId: job.id, source: job.source, video: job.video, ...(job.app_id ? { appId: job.app_id } : {}) },
      {
        progressIntervalMs: this.#o.progressIntervalMs ?? 5000,
        seqBase: job.seq_base + (Math.min(claimAttempt, 100) - 1) * SEQ_PER_CLAIM,
        ...(this.#o.onEvent ? { onEvent: this.#o.onEvent } : {}),
      },
    );
    // The job gave up (another chunk failed for good, or the job was stopped): stop this one too.
    const stop = new AbortController();
    const onClaim = () => stop.abort(claimSignal.reason);
    claimSignal.addEventListener("abort", onClaim, { once: true });
    const watch = setInterval(
      () =>
        void this.#env.archive.exists(cancelKey).then(
          (gone) => gone && stop.abort(cancelled(`job ${job.id} gave up; chunk ${chunk.index} stops`)),
          () => undefined,
        ),
      Math.max(250, Math.floor(this.claims.ttlMs / 4)),
    );
    watch.unref();
    const id = {
      step: "chunk" as const,
      rendition: rendition.name,
      target_bitrate_bps: rendition.videoBps,
      chunk: { index: chunk.index, count: chunk.count },
    };
    const frames = (chunk.end_slot ?? chunk.first_slot) - chunk.first_slot;
    const attemptsBefore = (claimAttempt - 1) * this.#o.retry.attempts;
    const encode = this.#o.encode ?? encodeChunk;
    let began = 0;
    let current = 1;
    try {
      const done: EncodedChunk = await withRetry(
        async (attempt) => {
          began = performance.now();
          current = Math.min(100, attemptsBefore + attempt);
          await reporter.emit("job.step_started", { ...id, status: "running", attempt: current });
          return encode(this.#env, request, {
            signal: stop.signal,
            onProgress: (p) =>
              frames > 0 &&
              reporter.progress("chunk", {
                ...id,
                status: "running",
                attempt: current,
                progress_pct: Math.min(100, Math.round(((p.frame ?? 0) / frames) * 1000) / 10),
                ...(p.speed === undefined ? {} : { speed: Math.min(p.speed, 10_000) }),
              }),
          });
        },
        {
          ...this.#o.retry,
          signal: stop.signal,
          retryable: (err) => !(err instanceof ReeltimeError && err.code === "REELTIME_ERR_CANCELLED"),
          onFailure: async (err, attempt, willRetry) => {
            if (stop.signal.aborted) return; // stopped, not failed: the new holder or nobody reports it
            await reporter.emit(
              "job.step_failed",
              {
                ...id,
                status: "failed",
                attempt: Math.min(100, attemptsBefore + attempt),
                duration_ms: Math.round(performance.now() - began),
                error: toJobError(err),
              },
              { will_retry: willRetry },
            );
          },
        },
      );
      if (await this.#env.archive.exists(cancelKey)) return "cancelled";
      const mediaMs = Math.round((done.frames / rendition.fps) * 1000);
      await reporter.emit("job.step_completed", {
        ...id,
        status: "completed",
        attempt: current,
        duration_ms: Math.round(performance.now() - began),
        media_duration_ms: mediaMs,
        bytes: done.bytes,
        bitrate_bps: Math.round((done.bytes * 8) / Math.max(0.001, mediaMs / 1000)),
        speed: Math.min(10_000, Math.round((mediaMs / done.encodeMs) * 100) / 100),
        width: rendition.width,
        height: rendition.height,
      });
      await reporter.flush();
      return {
        unit_id: request.unit_id,
        status: "completed",
        worker: this.#o.workerId,
        attempt: claimAttempt,
        frames: done.frames,
        bytes: done.bytes,
        encode_ms: done.encodeMs,
        processed_at: new Date().toISOString(),
      };
    } catch (err) {
      await reporter.flush().catch(() => undefined);
      if (stop.signal.aborted) return "cancelled";
      const e = toJobError(err);
      return {
        unit_id: request.unit_id,
        status: "failed",
        worker: this.#o.workerId,
        attempt: claimAttempt,
        error: { code: e.code, message: e.message },
        processed_at: new Date().toISOString(),
      };
    } finally {
      clearInterval(watch);
      claimSignal.removeEventListener("abort", onClaim);
    }
  }
}
