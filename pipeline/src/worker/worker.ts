import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Archive, Bus, ConsumedBatch, ConsumedMessage, Subscription } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import {
  Counter,
  createRegistry,
  Gauge,
  Histogram,
  type Logger,
  type Readiness,
  ReeltimeError,
  type Registry,
} from "@reeltime/runtime";
import { ChunkWorker, type ChunkWorkerOptions } from "../chunked/worker.ts";
import { INPUT_ERRORS, WORKER_ERRORS } from "../errors.ts";
import { type TranscodePipeline, videoIdFromName } from "../pipeline.ts";
import { fetchUploadSubtitles } from "../subtitles/fetch.ts";
import { JobClaims, runUnderClaim } from "./claims.ts";
import { decodeRequest, requestFromUpload, TRANSCODE_TOPIC, type TranscodeRequest, WORKER_GROUP } from "./request.ts";

/** What a worker keeps (in the claim's `done.json`) and reports when a request ended. */
export interface WorkerRecord {
  request_id: string;
  source_key: string;
  job_id?: string;
  video_id: string;
  status: "completed" | "failed";
  error_code?: string;
  worker: string;
  attempt: number;
  processed_at: string;
}

export interface WorkerOptions {
  /** Unique per process (default: host-pid-random). */
  workerId?: string;
  group?: string;
  /** The request topic (default {@link TRANSCODE_TOPIC}). */
  topic?: string;
  /** Also take completed uploads off the upload topic as requests (default true). */
  uploads?: boolean;
  /**
   * A claim neither written nor renewed for this long, with no result, is taken over (default
   * 2 min); the holder renews it every quarter of that while its job runs.
   */
  claimTtlMs?: number;
  /** How often consumer lag is read into the lag gauge (default 15 s; 0: never). */
  lagIntervalMs?: number;
  log?: Logger;
  registry?: Registry;
  /** Hears each request this worker ended. */
  onJob?: (record: WorkerRecord) => void;
  /**
   * The chunk encoder this worker runs beside its transcode consumer when its pipeline splits
   * long sources (segment-parallel encoding): its slots default to the pipeline's concurrency;
   * false: none.
   */
  chunks?: Omit<ChunkWorkerOptions, "log" | "registry"> | false;
}

/** The worker's series (reeltime_pipeline_*), bounded labels. */
export function workerMetrics(registry: Registry = createRegistry("pipeline-worker")) {
  return {
    registry,
    jobs: new Counter({
      name: "reeltime_pipeline_jobs_total",
      help: "Transcode requests this worker ended (completed, failed), skipped (done elsewhere, bad message) or stopped (lost: another worker took its claim over)",
      labelNames: ["status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "reeltime_pipeline_job_duration_seconds",
      help: "Wall time of a transcode job, download included",
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    inProgress: new Gauge({
      name: "reeltime_pipeline_jobs_in_progress",
      help: "Transcode jobs running in this worker",
      registers: [registry],
    }),
    lag: new Gauge({
      name: "reeltime_pipeline_requests_lag",
      help: "Transcode requests not yet committed by the worker group, per partition",
      labelNames: ["partition"],
      registers: [registry],
    }),
    claimsHeld: new Counter({
      name: "reeltime_pipeline_claims_held_total",
      help: "Deliveries of a request another live worker holds (retried until it ends)",
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof workerMetrics>;

/**
 * A transcode worker: a member of one consumer group on {@link TRANSCODE_TOPIC}, so the bus
 * hands each partition, and each request, to one worker at a time. On top of the group, a
 * create-only claim per request ({@link JobClaims}) makes a redelivered or republished request
 * run once: a request already done is skipped, one another live worker holds is retried
 * until it ends. The bus position is committed only after the request ended.
 */
export class TranscodeWorker {
  readonly id: string;
  readonly metrics: WorkerMetrics;
  readonly #bus: Bus;
  readonly #archive: Archive;
  readonly #pipeline: TranscodePipeline;
  readonly #claims: JobClaims;
  readonly #o: WorkerOptions;
  #sub: Subscription | undefined;
  #chunks: ChunkWorker | undefined;
  #lagTimer: NodeJS.Timeout | undefined;

  constructor(deps: { bus: Bus; archive: Archive; pipeline: TranscodePipeline }, options: WorkerOptions = {}) {
    this.#bus = deps.bus;
    this.#archive = deps.archive;
    this.#pipeline = deps.pipeline;
    this.#o = options;
    this.id = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.metrics = workerMetrics(options.registry);
    this.#claims = new JobClaims(deps.archive, options.claimTtlMs ? { ttlMs: options.claimTtlMs } : {});
  }

  /** Joins the group; requests start flowing. */
  async start(): Promise<void> {
    this.#sub = await this.#bus.consume({
      group: this.#o.group ?? WORKER_GROUP,
      // Completed uploads are requests too (one job per upload version): the upload API's
      // upload.completed events start work without a separate request.
      topics: [this.#o.topic ?? TRANSCODE_TOPIC, ...(this.#o.uploads === false ? [] : [TOPICS.upload])],
      maxBatchSize: 1,
      handler: (batch) => this.#handle(batch),
      onError: (err, batch) => {
        const e = err as { code?: string; message?: string };
        if (e.code === WORKER_ERRORS.claimHeld) this.metrics.claimsHeld.inc();
        this.#o.log?.warn({ code: e.code, partition: batch.partition, worker: this.id }, String(e.message));
      },
    });
    // Segment-parallel jobs: this worker also encodes chunks of any worker's jobs (its own too,
    // while the job that split the source waits for them).
    if (this.#o.chunks !== false && this.#pipeline.chunking) {
      const log = this.#o.log;
      this.#chunks = new ChunkWorker(
        {
          bus: this.#bus,
          runner: this.#pipeline.chunkRunner({
            workerId: this.id,
            ...(this.#o.claimTtlMs ? { claimTtlMs: this.#o.claimTtlMs } : {}),
            hooks: {
              onLost: () =>
                log?.warn({ worker: this.id }, "another worker took a chunk's claim over; this chunk stops"),
              onRenewError: (err) => log?.warn({ worker: this.id }, `chunk claim renewal failed: ${err.message}`),
            },
          }),
        },
        {
          slots: this.#pipeline.concurrency,
          ...this.#o.chunks,
          registry: this.metrics.registry,
          ...(log ? { log } : {}),
        },
      );
      await this.#chunks.start();
    }
    const every = this.#o.lagIntervalMs ?? 15_000;
    if (every > 0) {
      this.#lagTimer = setInterval(() => void this.#readLag(), every);
      this.#lagTimer.unref();
    }
  }

  /** Partitions of the request topic this worker holds now. */
  assignments(): string[] {
    return (this.#sub?.assignments() ?? []).map((p) => p.partition);
  }

  /** For /readyz: joined the group and the bus answers. */
  async ready(): Promise<Readiness> {
    const bus = await this.#bus.health().catch((e: Error) => ({ ok: false, detail: e.message }));
    return { ok: this.#sub !== undefined && bus.ok, worker: this.id, bus };
  }

  /** Lets the running job finish, commits it and leaves the group (the chunk encoders' after: the job may wait for chunks). */
  async stop(): Promise<void> {
    clearInterval(this.#lagTimer);
    await this.#sub?.stop();
    this.#sub = undefined;
    await this.#chunks?.stop();
    this.#chunks = undefined;
  }

  async #readLag(): Promise<void> {
    try {
      for (const p of (await this.#sub?.lag()) ?? []) this.metrics.lag.set({ partition: p.partition }, p.lag);
    } catch {
      // lag is best effort; the next read tries again
    }
  }

  async #handle(batch: ConsumedBatch): Promise<void> {
    for (const message of batch.messages) await this.#one(message);
  }

  async #one(message: ConsumedMessage): Promise<void> {
    let request: TranscodeRequest | undefined;
    try {
      request = message.topic === TOPICS.upload ? requestFromUpload(message) : decodeRequest(message);
    } catch (err) {
      this.metrics.jobs.inc({ status: "bad_request" });
      this.#o.log?.error({ code: (err as ReeltimeError).code, worker: this.id }, (err as Error).message);
      return;
    }
    // An upload event that needs no work (created, aborted).
    if (!request) return;
    const outcome = await this.#claims.claim(request.request_id, this.id);
    if (outcome.kind === "done") {
      this.metrics.jobs.inc({ status: "skipped" });
      return;
    }
    if (outcome.kind === "held")
      throw new ReeltimeError(
        WORKER_ERRORS.claimHeld,
        `request ${request.request_id} is held by worker ${outcome.claim.worker} since ${outcome.claim.claimed_at}; ` +
          "retrying until it ends",
      );
    const started = Date.now();
    this.metrics.inProgress.inc();
    // The claim is renewed while the job runs; a worker that lost it (it was presumed dead and
    // another took the request over) stops its job and leaves the result to the new holder.
    const claim = outcome.claim;
    try {
      const { result: record, lost } = await runUnderClaim(
        this.#claims,
        claim,
        (signal) => this.#transcode(request, claim.attempt, signal),
        {
          onLost: () =>
            this.#o.log?.warn(
              { request: request.request_id, attempt: claim.attempt, worker: this.id },
              `request ${request.request_id}: another worker took its claim over; this job stops`,
            ),
          onRenewError: (err) =>
            this.#o.log?.warn({ request: request.request_id, worker: this.id }, `claim renewal failed: ${err.message}`),
        },
      );
      if (lost) {
        this.metrics.jobs.inc({ status: "lost" });
        return;
      }
      await this.#claims.complete(request.request_id, { ...record });
      this.metrics.jobs.inc({ status: record.status });
      this.metrics.duration.observe((Date.now() - started) / 1000);
      this.#o.onJob?.(record);
    } finally {
      this.metrics.inProgress.dec();
    }
  }

  async #transcode(request: TranscodeRequest, attempt: number, signal: AbortSignal): Promise<WorkerRecord> {
    const base = {
      request_id: request.request_id,
      source_key: request.source_key,
      video_id: request.video_id ?? videoIdFromName(request.source_key),
      worker: this.id,
      attempt,
    };
    const dir = await mkdtemp(join(tmpdir(), "reeltime-worker-"));
    try {
      let bytes: Uint8Array;
      try {
        bytes = await this.#archive.get(request.source_key);
      } catch (err) {
        if ((err as ReeltimeError).code !== "REELTIME_ERR_NOT_FOUND") throw err;
        return {
          ...base,
          status: "failed",
          error_code: INPUT_ERRORS.notFound,
          processed_at: new Date().toISOString(),
        };
      }
      const local = join(dir, basename(request.source_key));
      await writeFile(local, bytes);
      // Subtitle files the uploader attached beside the source (the upload API's subtitles route).
      const subtitles = await fetchUploadSubtitles(this.#archive, request.source_key, dir);
      const result = await this.#pipeline.run({
        source: local,
        sourceLabel: request.source_key,
        ...(subtitles.length > 0 ? { subtitles } : {}),
        videoId: base.video_id,
        // One job id per request (one upload version), whichever worker or attempt runs it;
        // a later attempt's events come after the earlier one's (attempt-based seq).
        jobId: jobIdFor(request.request_id),
        attempt,
        enqueuedAt: new Date(request.requested_at),
        // ...and one job.completed: its event id comes from the job id and the request's time.
        ...(Number.isFinite(Date.parse(request.requested_at)) ? { requestedAt: new Date(request.requested_at) } : {}),
        ...(request.title ? { title: request.title } : {}),
        ...(request.app_id ? { appId: request.app_id } : {}),
        signal,
      });
      return {
        ...base,
        job_id: result.jobId,
        video_id: result.videoId,
        status: result.status,
        ...(result.error ? { error_code: result.error.code } : {}),
        processed_at: new Date().toISOString(),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The job id of a request: stable per request id, within the contract's 64 characters. */
export function jobIdFor(requestId: string): string {
  return requestId.length <= 59
    ? `job-${requestId}`
    : `job-${createHash("sha256").update(requestId).digest("hex").slice(0, 40)}`;
}
