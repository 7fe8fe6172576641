import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Archive, ObjectInfo } from "@reeltime/connectors";
import { type JobResult, type TranscodePipeline, videoIdFromName } from "./pipeline.ts";
import { jsonBytes } from "./publish.ts";

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
  /** Hears each job as it ends. */
  onJob?: (record: ProcessedRecord) => void;
}

/**
 * Polls an Archive prefix for uploads and runs the pipeline once per upload, one at a time
 * (a job already uses every core). A processed upload is recorded under `statePrefix`, keyed
 * by a hash of its key, whether the job completed or failed: a bad upload is not retried
 * forever. An upload replaced by a new object (other size or time) is processed again.
 */
export class UploadWatcher {
  readonly #archive: Archive;
  readonly #pipeline: TranscodePipeline;
  readonly #o: Required<Omit<WatchOptions, "onJob">> & Pick<WatchOptions, "onJob">;
  #stopping = false;
  #loop: Promise<void> | undefined;

  constructor(archive: Archive, pipeline: TranscodePipeline, options: WatchOptions) {
    this.#archive = archive;
    this.#pipeline = pipeline;
    this.#o = { statePrefix: "pipeline/processed/", intervalMs: 5000, ...options };
  }

  recordKey(uploadKey: string): string {
    return `${this.#o.statePrefix}${createHash("sha256").update(uploadKey).digest("hex").slice(0, 32)}.json`;
  }

  /** Processes every new upload once; resolves with what it processed in this pass. */
  async pollOnce(): Promise<ProcessedRecord[]> {
    const done: ProcessedRecord[] = [];
    for (const upload of await this.#archive.list(this.#o.prefix)) {
      if (this.#stopping) break;
      if (upload.key.endsWith("/") || upload.size === 0 || !(await this.#isNew(upload))) continue;
      done.push(await this.#process(upload));
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

  async #process(upload: ObjectInfo): Promise<ProcessedRecord> {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-upload-"));
    try {
      const local = join(dir, basename(upload.key));
      await writeFile(local, await this.#archive.get(upload.key));
      const result = await this.#pipeline.run({
        source: local,
        sourceLabel: upload.key,
        videoId: videoIdFromName(upload.key),
        enqueuedAt: upload.lastModified,
      });
      const record: ProcessedRecord = {
        key: upload.key,
        size: upload.size,
        last_modified: upload.lastModified.toISOString(),
        job_id: result.jobId,
        video_id: result.videoId,
        status: result.status,
        ...(result.error ? { error_code: result.error.code } : {}),
        processed_at: new Date().toISOString(),
      };
      await this.#archive.put(this.recordKey(upload.key), jsonBytes(record), { contentType: "application/json" });
      this.#o.onJob?.(record);
      return record;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
