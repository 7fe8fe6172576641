import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Archive, ObjectInfo } from "@reeltime/connectors";
import { type JobResult, type TranscodePipeline, videoIdFromName } from "./pipeline.ts";
import { jsonBytes } from "./publish.ts";
import { fetchUploadSubtitles, isUploadSubtitleKey } from "./subtitles/fetch.ts";
import { JobClaims, runUnderClaim } from "./worker/claims.ts";
import { requestIdFor } from "./worker/request.ts";

/** What the watcher remembers about one upload it processed (one small object per upload). */
export interface ProcessedRecord {
  key: string;
  size: number;
  last_modified: string;
  job_id: string;
  video_id: string;
  status: JobResult["status"];
  error_code?: string;
  processed_at: string;
}

export interface WatchOptions {
  /** Where uploads land, e.g. `uploads/`. */
  prefix: string;
  /** Where records of processed uploads are kept (default `pipeline/processed/`). */
  statePrefix?: string;
  intervalMs?: number;
  /** Unique per process (default: host-pid-random); names this watcher in its claims. */
  workerId?: string;
  /** Where claims are kept (default `pipeline/claims/`, the transcode workers' own). */
  claimsPrefix?: string;
  /** A claim not renewed for this long is taken over (default 2 min). */
  claimTtlMs?: number;
  /** Hears each job as it ends. */
  onJob?: (record: ProcessedRecord) => void;
  /** Hears each upload left to another instance: it holds the claim, or it already finished the job. */
  onSkip?: (uploadKey: string, reason: "held" | "done", by?: string) => void;
  /** Hears a claim taken over from this instance (it was presumed dead); the job stops. */
  onLost?: (uploadKey: string) => void;
}

/**
 * Polls an Archive prefix for uploads and runs the pipeline once per upload, one at a time
 * (a job already uses every core). A processed upload is recorded under `statePrefix`, keyed
 * by a hash of its key, whether the job completed or failed: a bad upload is not retried
 * forever. An upload replaced by a new object (other size or time) is processed again.
 *
 * Several watchers may poll one prefix: each upload version is claimed create-only
 * ({@link JobClaims}, the request id the transcode workers use for it) before its job runs, so
 * one instance transcodes it and the others skip it; a claim whose holder died is taken over
 * after the claim TTL.
 */
export class UploadWatcher {
  readonly id: string;
  readonly #archive: Archive;
  readonly #pipeline: TranscodePipeline;
  readonly #claims: JobClaims;
  readonly #o: Required<Pick<WatchOptions, "prefix" | "statePrefix" | "intervalMs">> & WatchOptions;
  #stopping = false;
  #loop: Promise<void> | undefined;

  constructor(archive: Archive, pipeline: TranscodePipeline, options: WatchOptions) {
    this.#archive = archive;
    this.#pipeline = pipeline;
    this.#o = { statePrefix: "pipeline/processed/", intervalMs: 5000, ...options };
    this.id = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.#claims = new JobClaims(archive, {
      ...(options.claimsPrefix ? { prefix: options.claimsPrefix } : {}),
      ...(options.claimTtlMs ? { ttlMs: options.claimTtlMs } : {}),
    });
  }

  recordKey(uploadKey: string): string {
    return `${this.#o.statePrefix}${createHash("sha256").update(uploadKey).digest("hex").slice(0, 32)}.json`;
  }

  /** Processes every new upload once; resolves with what it processed in this pass. */
  async pollOnce(): Promise<ProcessedRecord[]> {
    const done: ProcessedRecord[] = [];
    for (const upload of await this.#archive.list(this.#o.prefix)) {
      if (this.#stopping) break;
      // A subtitle file attached to an upload goes with its source's job, not one of its own.
      if (upload.key.endsWith("/") || upload.size === 0 || isUploadSubtitleKey(upload.key)) continue;
      if (!(await this.#isNew(upload))) continue;
      const record = await this.#claimed(upload);
      if (record) done.push(record);
    }
    return done;
  }

  /** Polls until `stop()`. */
  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopping) {
        await this.pollOnce();
        if (!this.#stopping) await sleep(this.#o.intervalMs);
      }
    })();
  }

  /** Lets the running job finish, then stops polling. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
  }

  async #isNew(upload: ObjectInfo): Promise<boolean> {
    const key = this.recordKey(upload.key);
    if (!(await this.#archive.exists(key))) return true;
    const seen = JSON.parse(new TextDecoder().decode(await this.#archive.get(key))) as ProcessedRecord;
    return seen.size !== upload.size || seen.last_modified !== upload.lastModified.toISOString();
  }

  /** Claims the upload's version; runs its job if this instance won, else leaves it to the holder. */
  async #claimed(upload: ObjectInfo): Promise<ProcessedRecord | undefined> {
    const requestId = requestIdFor(upload.key, upload.size, upload.lastModified);
    const outcome = await this.#claims.claim(requestId, this.id);
    if (outcome.kind === "held") {
      this.#o.onSkip?.(upload.key, "held", outcome.claim.worker);
      return undefined;
    }
    if (outcome.kind === "done") {
      // Another instance finished it: keep its result as this upload's record, so later passes
      // see the upload as processed without asking the claims again.
      const r = outcome.record as Partial<ProcessedRecord> & { worker?: string };
      const record: ProcessedRecord = {
        ...this.#versionOf(upload),
        job_id: String(r.job_id ?? ""),
        video_id: String(r.video_id ?? videoIdFromName(upload.key)),
        status: r.status === "completed" ? "completed" : "failed",
        ...(r.error_code ? { error_code: r.error_code } : {}),
        processed_at: String(r.processed_at ?? new Date().toISOString()),
      };
      await this.#archive.put(this.recordKey(upload.key), jsonBytes(record), { contentType: "application/json" });
      this.#o.onSkip?.(upload.key, "done", r.worker);
      return undefined;
    }
    const { result, lost } = await runUnderClaim(this.#claims, outcome.claim, (signal) =>
      this.#process(upload, signal),
    );
    if (lost) {
      this.#o.onLost?.(upload.key);
      return undefined;
    }
    await this.#claims.complete(requestId, { ...result, worker: this.id, attempt: outcome.claim.attempt });
    await this.#archive.put(this.recordKey(upload.key), jsonBytes(result), { contentType: "application/json" });
    this.#o.onJob?.(result);
    return result;
  }

  #versionOf(upload: ObjectInfo): Pick<ProcessedRecord, "key" | "size" | "last_modified"> {
    return { key: upload.key, size: upload.size, last_modified: upload.lastModified.toISOString() };
  }

  async #process(upload: ObjectInfo, signal: AbortSignal): Promise<ProcessedRecord> {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-upload-"));
    try {
      const local = join(dir, basename(upload.key));
      await writeFile(local, await this.#archive.get(upload.key));
      const subtitles = await fetchUploadSubtitles(this.#archive, upload.key, dir);
      const result = await this.#pipeline.run({
        source: local,
        sourceLabel: upload.key,
        ...(subtitles.length > 0 ? { subtitles } : {}),
        videoId: videoIdFromName(upload.key),
        enqueuedAt: upload.lastModified,
        signal,
      });
      return {
        ...this.#versionOf(upload),
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
