import type { Bus } from "@reeltime/connectors";
import { type Logger, ReeltimeError } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { bareType, type UploadsConfig } from "./config.ts";
import { publishUploadEvent, uploadEvent } from "./events.ts";
import { partLength, partSize, sourceKey } from "./s3.ts";
import { type UploadRow, type UploadSessions, utcDay } from "./store.ts";
import type { StoredPart, UploadTarget } from "./target.ts";

/** What a client announces to start an upload (checked by the route's schema). */
export interface CreateUpload {
  filename: string;
  content_type: string;
  bytes: number;
  /** base64 SHA-256 of the whole file, checked on completion */
  sha256: string;
  title?: string;
  owner?: { id?: string; email?: string };
  part_bytes?: number;
}

export interface PartUrl {
  number: number;
  url: string;
}

/** The answer to a start, and (with the stored parts) to a status request. */
export interface UploadView {
  upload_id: string;
  video_id: string;
  state: UploadRow["state"];
  bytes: number;
  part_bytes: number;
  /**
   * the URLs of the parts still to send (PUT each with exactly its length): presigned S3
   * UploadPart URLs, or the upload API's own signed part URLs on the embedded default
   */
  parts: PartUrl[];
  /** parts the target holds already (status only) */
  parts_stored?: StoredPart[];
  version?: string;
  error?: { code: string; message: string };
}

export interface ServiceDeps {
  config: UploadsConfig;
  store: UploadSessions;
  /** Where the parts go: S3 (presigned URLs) or the archive (the API's own part URLs). */
  bucket: UploadTarget;
  bus: Bus;
  logger: Logger;
  /** The clock (tests pin it). */
  now?: () => Date;
}

const partCount = (row: Pick<UploadRow, "bytes" | "part_bytes">) => Math.ceil(row.bytes / row.part_bytes);

/** What attaching a subtitle file answers. */
export interface SubtitleView {
  upload_id: string;
  video_id: string;
  /** BCP 47, canonical case. */
  language: string;
  /** Where it is stored: `uploads/<app>/<video>/subtitles/<language>.vtt`, beside the source. */
  key: string;
  bytes: number;
}

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;
const VTT_SIGNATURE = /^\uFEFF?WEBVTT(?:[ \t\r\n]|$)/;

/** A language tag as the pipeline names subtitle renditions: BCP 47 in canonical case; undefined if not one. */
export function subtitleLanguage(tag: string): string | undefined {
  if (!LANGUAGE.test(tag) || tag.length > 20) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** Seconds from `t` to the next UTC midnight, when a daily quota starts again. */
export const secondsToMidnight = (t: Date): number => {
  const next = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - t.getTime()) / 1000));
};

/** The upload API's operations, for one app at a time (the write key's app; never one the client names). */
export class UploadService {
  readonly #d: ServiceDeps;
  readonly #now: () => Date;
  constructor(deps: ServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Starts an upload after every check that needs no byte of it: the size limit, the type
   * allowlist and the app's daily quota (reserved in the database). Then one S3 multipart
   * upload under a key the server makes, a session row, `upload.created`, and part URLs.
   */
  async create(app: string, input: CreateUpload): Promise<UploadView> {
    const { env, types } = this.#d.config;
    const type = bareType(input.content_type);
    if (input.bytes > env.REELTIME_UPLOAD_MAX_BYTES)
      throw new ReeltimeError(
        "REELTIME_ERR_UPLOAD_TOO_LARGE",
        `the upload announces ${input.bytes} bytes; the limit is ${env.REELTIME_UPLOAD_MAX_BYTES} (REELTIME_UPLOAD_MAX_BYTES)`,
      );
    if (!types.has(type))
      throw new ReeltimeError(
        "REELTIME_ERR_UPLOAD_TYPE",
        `content type "${type.slice(0, 100)}" is not allowed; send one of ${[...types].join(", ")}`,
      );
    const now = this.#now();
    const day = utcDay(now);
    const quota = env.REELTIME_UPLOAD_QUOTA_BYTES;
    const { store, bucket } = this.#d;
    if (quota > 0 && !(await store.reserveQuota(app, day, input.bytes, quota))) {
      const used = await store.usedQuota(app, day);
      throw new ReeltimeError(
        "REELTIME_ERR_QUOTA",
        `app "${app}" has started ${used} of its ${quota} bytes today (UTC) and this upload announces ${input.bytes}; ` +
          `retry after midnight UTC or raise REELTIME_UPLOAD_QUOTA_BYTES`,
      );
    }
    const id = `upl-${uuidv7()}`;
    const videoId = `vid-${uuidv7()}`;
    const key = sourceKey(app, videoId, type, input.filename);
    const partBytes = partSize(input.bytes, input.part_bytes ?? env.REELTIME_UPLOAD_PART_BYTES);
    let row: UploadRow;
    try {
      const s3UploadId = await bucket.create(key, type);
      row = {
        id,
        app_id: app,
        video_id: videoId,
        bucket: bucket.bucket,
        key,
        s3_upload_id: s3UploadId,
        state: "created",
        filename: input.filename,
        content_type: type,
        bytes: input.bytes,
        part_bytes: partBytes,
        sha256: input.sha256,
        title: input.title ?? null,
        owner_id: input.owner?.id ?? null,
        owner_email: input.owner?.email ?? null,
        version: null,
        parts: null,
        error_code: null,
        error_message: null,
        created_at: now,
        finished_at: null,
        event_published_at: null,
      };
      try {
        await store.insert(row);
      } catch (err) {
        await bucket.abort(key, s3UploadId).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      if (quota > 0)
        await store.releaseQuota(app, day, input.bytes).catch((e: unknown) => {
          this.#d.logger.warn({ err: e, app, bytes: input.bytes }, "could not give back an upload's quota");
        });
      throw err;
    }
    // upload.created starts nothing downstream: a bus outage is logged, the upload goes on.
    await this.#publish(uploadEvent("upload.created", row)).catch((err: unknown) => {
      this.#d.logger.warn({ err, upload: id }, "upload.created was not published");
    });
    const n = partCount(row);
    return {
      ...this.#view(row),
      parts: await this.#urls(
        row,
        Array.from({ length: n }, (_, i) => i + 1),
      ),
    };
  }

  /** The upload's state; while it is open, the parts S3 holds and URLs for the rest (to resume). */
  async status(app: string, id: string): Promise<UploadView> {
    const row = await this.#row(app, id);
    if (row.state !== "created") return { ...this.#view(row), parts: [], parts_stored: [] };
    const stored = await this.#d.bucket.listParts(row.key, row.s3_upload_id);
    if (stored === undefined) throw this.#gone(row);
    const n = partCount(row);
    const have = new Set(
      stored.filter((p) => p.size === partLength(row.bytes, row.part_bytes, p.number)).map((p) => p.number),
    );
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !have.has(k));
    return { ...this.#view(row), parts_stored: stored, parts: await this.#urls(row, missing) };
  }

  /**
   * Completes the upload from the client's part ETags, reads the whole object back and checks
   * its SHA-256 and size against the announced ones. A match publishes one `upload.completed`
   * (its event id derived from the upload, so a retry publishes nothing new); a mismatch deletes
   * the object, publishes `upload.aborted` with the reason and answers 422. Idempotent: the
   * session row's state says what an earlier call already did.
   */
  async complete(app: string, id: string, parts: { number: number; etag: string }[]): Promise<UploadView> {
    let row = await this.#row(app, id);
    if (row.state === "created") row = await this.#finish(row, parts);
    if (row.state === "aborted") {
      await this.#publishFinal("upload.aborted", row);
      throw row.error_code === "REELTIME_ERR_CHECKSUM"
        ? new ReeltimeError(
            "REELTIME_ERR_CHECKSUM",
            `${row.error_message}; the object was deleted: upload the file again`,
          )
        : this.#gone(row);
    }
    await this.#publishFinal("upload.completed", row);
    return { ...this.#view(row), parts: [] };
  }

  /**
   * Attaches a WebVTT subtitle file of one language to an open upload: stored whole beside the
   * source (`subtitles/<language>.vtt`; sent again, it replaces the first). The pipeline worker
   * that transcodes the upload publishes it as a subtitle rendition, or fails that language's step
   * alone if the file is not valid WebVTT. Only the tag and the signature are checked here; only
   * before complete, so the transcode the completion starts sees every file.
   */
  async attachSubtitles(app: string, id: string, tag: string, body: Uint8Array): Promise<SubtitleView> {
    const row = await this.#row(app, id);
    if (row.state !== "created")
      throw new ReeltimeError(
        "REELTIME_ERR_UPLOAD_STATE",
        `upload ${row.id} is ${row.state}: attach subtitles before completing it (its transcode has started)`,
      );
    const language = subtitleLanguage(tag);
    if (!language)
      throw new ReeltimeError(
        "REELTIME_ERR_BAD_SUBTITLES",
        `"${tag.slice(0, 40)}" is not a language tag: use BCP 47 in the path, e.g. /subtitles/en or /subtitles/pt-BR`,
      );
    const head = new TextDecoder().decode(body.subarray(0, 16));
    if (!VTT_SIGNATURE.test(head))
      throw new ReeltimeError(
        "REELTIME_ERR_BAD_SUBTITLES",
        "the body is not WebVTT: it must start with the line WEBVTT (an SRT file? convert it to WebVTT)",
      );
    const key = `${row.key.slice(0, row.key.lastIndexOf("/"))}/subtitles/${language}.vtt`;
    await this.#d.bucket.putObject(key, body, "text/vtt");
    return { upload_id: row.id, video_id: row.video_id, language, key, bytes: body.byteLength };
  }

  /**
   * Publishes the final event of uploads that finished without it reaching the bus (a bus
   * outage answered 503 and the client never retried). Same event ids, so a consumer drops a
   * repeat. Returns how many were published.
   */
  async republishPending(limit = 100): Promise<number> {
    let published = 0;
    for (const row of await this.#d.store.unpublished(limit)) {
      await this.#publishFinal(row.state === "completed" ? "upload.completed" : "upload.aborted", row);
      published++;
    }
    return published;
  }

  async #finish(row: UploadRow, parts: { number: number; etag: string }[]): Promise<UploadRow> {
    const n = partCount(row);
    const numbers = parts.map((p) => p.number);
    if (numbers.length !== n || numbers.some((k, i) => k !== i + 1))
      throw new ReeltimeError(
        "REELTIME_ERR_BODY",
        `send the ETag of each of parts 1 to ${n}, in order (got ${numbers.length} part${numbers.length === 1 ? "" : "s"}); ` +
          `GET /v1/uploads/${row.id} lists the parts stored`,
      );
    const { bucket } = this.#d;
    let done: { versionId?: string; etag: string };
    const completion = await bucket.complete(row.key, row.s3_upload_id, parts);
    if (completion.ok) done = completion;
    else if (!completion.gone)
      throw new ReeltimeError(
        "REELTIME_ERR_BODY",
        `${completion.refused}: upload the missing parts ` +
          `(GET /v1/uploads/${row.id} lists them) and send each part's ETag as its PUT was answered`,
      );
    else {
      // An earlier call completed it and stopped before recording so: the object is there.
      const stored = await bucket.head(row.key);
      if (stored === undefined) throw this.#gone(row);
      done = stored;
    }
    return this.#verifyStored(row, done);
  }

  /**
   * Completes, from S3's own notification of its object (the queue bridge, on AWS), an upload S3
   * completed but this API never recorded as finished: its pod stopped after S3 completed the
   * multipart upload and the client never called again. The same checks and the same row change
   * as {@link complete} (the object's SHA-256 and size; a mismatch deletes it and aborts the
   * upload), then the same final event, made from the row, so with the same event id. A row that
   * is no longer `created` is left alone (its own complete published, or the sweep will).
   * `absent`: S3 no longer holds the object (deleted or expired since), nothing was published.
   */
  async completeFromNotification(
    row: UploadRow,
    notified: { versionId?: string },
  ): Promise<{ outcome: UploadRow["state"] | "absent"; row: UploadRow }> {
    if (row.state !== "created") return { outcome: row.state, row };
    const stored = await this.#d.bucket.head(row.key);
    if (stored === undefined) return { outcome: "absent", row };
    const versionId = notified.versionId ?? stored.versionId;
    const after = await this.#verifyStored(row, { ...(versionId ? { versionId } : {}), etag: stored.etag });
    if (after.state !== "created")
      await this.#publishFinal(after.state === "completed" ? "upload.completed" : "upload.aborted", after);
    return { outcome: after.state, row: after };
  }

  /**
   * What follows once the target holds the whole object, whoever completed it (the client's
   * complete, or S3's notification): reads it back and compares its SHA-256 and size with the
   * announced ones. A mismatch deletes the object and aborts the upload with the reason; a match
   * completes it with the object's version (S3's VersionId, else its ETag). The row moves once;
   * a call that lost the race gets the row as the winner left it.
   */
  async #verifyStored(row: UploadRow, done: { versionId?: string; etag: string }): Promise<UploadRow> {
    const { bucket, store } = this.#d;
    const got = await bucket.sha256(row.key, done.versionId);
    if (got.sha256 !== row.sha256 || got.bytes !== row.bytes) {
      await bucket.delete(row.key, done.versionId);
      const message =
        got.bytes !== row.bytes
          ? `the stored object has ${got.bytes} bytes, ${row.bytes} were announced`
          : `the stored object's SHA-256 is ${got.sha256}, ${row.sha256} was announced`;
      const after = await store.markAborted(row.id, { code: "REELTIME_ERR_CHECKSUM", message }, this.#now());
      return after ?? (await this.#row(row.app_id, row.id));
    }
    const after = await store.markCompleted(row.id, {
      version: done.versionId ?? done.etag,
      parts: partCount(row),
      finishedAt: this.#now(),
    });
    return after ?? (await this.#row(row.app_id, row.id));
  }

  /** Publishes the upload's final event unless the row says it is on the bus already. */
  async #publishFinal(type: "upload.completed" | "upload.aborted", row: UploadRow): Promise<void> {
    if (row.event_published_at !== null) return;
    await this.#publish(uploadEvent(type, row));
    await this.#d.store.markPublished(row.id, this.#now());
  }

  #publish(event: Parameters<typeof publishUploadEvent>[1]) {
    return publishUploadEvent(this.#d.bus, event, this.#d.config.env.REELTIME_PUBLISH_TIMEOUT_MS);
  }

  async #row(app: string, id: string): Promise<UploadRow> {
    const row = /^upl-[0-9a-f-]{36}$/.test(id) ? await this.#d.store.get(app, id) : undefined;
    if (row === undefined)
      throw new ReeltimeError("REELTIME_ERR_NOT_FOUND", `no upload ${id.slice(0, 80)} for app "${app}"`);
    return row;
  }

  #gone(row: UploadRow): ReeltimeError {
    return new ReeltimeError(
      "REELTIME_ERR_UPLOAD_STATE",
      row.state === "aborted"
        ? `upload ${row.id} was aborted (${row.error_message ?? "no reason recorded"}); start a new upload`
        : `S3 no longer holds the multipart upload of ${row.id} (aborted or expired); start a new upload`,
    );
  }

  #view(row: UploadRow): Omit<UploadView, "parts"> {
    return {
      upload_id: row.id,
      video_id: row.video_id,
      state: row.state,
      bytes: row.bytes,
      part_bytes: row.part_bytes,
      ...(row.version ? { version: row.version } : {}),
      ...(row.error_code ? { error: { code: row.error_code, message: row.error_message ?? "" } } : {}),
    };
  }

  #urls(row: UploadRow, numbers: number[]): Promise<PartUrl[]> {
    return Promise.all(
      numbers.map(async (number) => ({
        number,
        url: await this.#d.bucket.partUrl(
          row.key,
          row.s3_upload_id,
          number,
          partLength(row.bytes, row.part_bytes, number),
        ),
      })),
    );
  }
}
