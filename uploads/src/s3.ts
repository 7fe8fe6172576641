import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type ListPartsCommandOutput,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ReeltimeError, unavailable } from "@reeltime/runtime";
import type { Completion, StoredPart, UploadTarget } from "./target.ts";

/** S3's multipart limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 parts. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;

const EXTENSIONS: Record<string, string> = {
  "video/mp4": ".mp4",
  "video/quicktime": ".mov",
  "video/webm": ".webm",
  "video/x-matroska": ".mkv",
};

/**
 * The source object's key: `uploads/${app}/${video}/source${ext}` in the archive bucket (the
 * folder the encoding workers accept an app's sources from), made by the server (the client
 * never picks keys). The extension comes from the content type, else from a plain filename
 * extension, else none.
 */
export function sourceKey(app: string, videoId: string, contentType: string, filename: string): string {
  const fromName = /\.([A-Za-z0-9]{1,8})$/.exec(filename)?.[1]?.toLowerCase();
  const ext = EXTENSIONS[contentType] ?? (fromName ? `.${fromName}` : "");
  return `uploads/${app}/${videoId}/source${ext}`;
}

/** The part size to hand out: the asked or configured size, raised so the file fits in 10,000 parts. */
export function partSize(bytes: number, wanted: number): number {
  const needed = Math.ceil(bytes / MAX_PARTS);
  return Math.min(Math.max(wanted, needed, MIN_PART_BYTES), MAX_PART_BYTES);
}

/** Size of part `n` (1-based) of a file cut in parts of `partBytes`. */
export function partLength(bytes: number, partBytes: number, n: number): number {
  return Math.min(partBytes, bytes - (n - 1) * partBytes);
}

type AwsError = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

/** Maps an S3 SDK error of the uploads bucket to a ReeltimeError that says what to do. */
export function uploadsS3Failure(op: string, bucket: string, err: unknown): ReeltimeError {
  if (err instanceof ReeltimeError) return err;
  const e = (err ?? {}) as AwsError;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const why = `${name}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`;
  if (name === "NoSuchBucket")
    return new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `the uploads bucket "${bucket}" does not exist: create it or set REELTIME_S3_BUCKET`,
      { cause: err },
    );
  if (["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "CredentialsProviderError"].includes(name))
    return new ReeltimeError(
      "REELTIME_ERR_ARCHIVE_AUTH",
      `S3 refused ${op} in bucket "${bucket}" (${why}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the role's policy`,
      { cause: err },
    );
  if ((status !== undefined && status >= 500) || name === "SlowDown" || status === undefined)
    return unavailable("archive", `S3 ${op} in bucket "${bucket}" failed after retries: ${why}`, err);
  return new ReeltimeError("REELTIME_ERR_ARCHIVE", `S3 ${op} in bucket "${bucket}" failed: ${why}`, { cause: err });
}

const isNoSuchUpload = (err: unknown) => (err as AwsError)?.name === "NoSuchUpload";
const isInvalidPart = (err: unknown) =>
  ["InvalidPart", "InvalidPartOrder", "EntityTooSmall"].includes((err as AwsError)?.name ?? "");

/** The uploads bucket as the upload API uses it: multipart uploads, presigned part URLs, the checksum read. */
export class UploadsBucket implements UploadTarget {
  readonly #s3: S3Client;
  readonly bucket: string;
  readonly #urlSeconds: number;
  constructor(s3: S3Client, bucket: string, urlSeconds: number) {
    this.#s3 = s3;
    this.bucket = bucket;
    this.#urlSeconds = urlSeconds;
  }

  #fail(op: string) {
    return (err: unknown): never => {
      throw uploadsS3Failure(op, this.bucket, err);
    };
  }

  async create(key: string, contentType: string): Promise<string> {
    const out = await this.#s3
      .send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))
      .catch(this.#fail(`CreateMultipartUpload "${key}"`));
    if (!out.UploadId) throw new ReeltimeError("REELTIME_ERR_ARCHIVE", `S3 started "${key}" without an upload id`);
    return out.UploadId;
  }

  /**
   * A presigned UploadPart URL for part `n`, its length signed too: S3 refuses a PUT of any
   * other size, so no client stores more than it announced.
   */
  partUrl(key: string, uploadId: string, n: number, length: number): Promise<string> {
    return getSignedUrl(
      this.#s3,
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: n,
        ContentLength: length,
      }),
      { expiresIn: this.#urlSeconds, signableHeaders: new Set(["content-length"]) },
    );
  }

  /** The parts stored so far (every page of ListParts); undefined when S3 holds no such upload. */
  async listParts(key: string, uploadId: string): Promise<StoredPart[] | undefined> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    for (;;) {
      let out: ListPartsCommandOutput;
      try {
        out = await this.#listPage(key, uploadId, marker);
      } catch (err) {
        if (isNoSuchUpload(err)) return undefined;
        return this.#fail(`ListParts "${key}"`)(err);
      }
      for (const p of out.Parts ?? [])
        if (p.PartNumber !== undefined) parts.push({ number: p.PartNumber, etag: p.ETag ?? "", size: p.Size ?? 0 });
      if (!out.IsTruncated || !out.NextPartNumberMarker) return parts;
      marker = out.NextPartNumberMarker;
    }
  }

  #listPage(key: string, uploadId: string, marker: string | undefined): Promise<ListPartsCommandOutput> {
    return this.#s3.send(
      new ListPartsCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        ...(marker ? { PartNumberMarker: marker } : {}),
      }),
    );
  }

  /**
   * Completes the multipart upload: the object's VersionId (where versioning is on) and ETag
   * (without quotes); S3's NoSuchUpload is `gone`, its refusal of the parts is `refused`.
   */
  async complete(key: string, uploadId: string, parts: { number: number; etag: string }[]): Promise<Completion> {
    try {
      const out = await this.#s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
      return {
        ok: true,
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
        etag: (out.ETag ?? "").replaceAll('"', ""),
      };
    } catch (err) {
      if (isNoSuchUpload(err)) return { ok: false, gone: true };
      if (isInvalidPart(err))
        return {
          ok: false,
          gone: false,
          refused: `S3 refused the parts (${(err as Error).name}: ${(err as Error).message})`,
        };
      throw uploadsS3Failure(`CompleteMultipartUpload "${key}"`, this.bucket, err);
    }
  }

  /** The stored object, when a multipart upload was completed earlier (a retry); undefined when absent. */
  async head(key: string): Promise<{ versionId?: string; etag: string; size: number } | undefined> {
    try {
      const out = await this.#s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
        etag: (out.ETag ?? "").replaceAll('"', ""),
        size: out.ContentLength ?? 0,
      };
    } catch (err) {
      if ((err as AwsError)?.name === "NotFound" || (err as AwsError)?.$metadata?.httpStatusCode === 404)
        return undefined;
      return this.#fail(`HeadObject "${key}"`)(err);
    }
  }

  /** Reads the whole object once: its base64 SHA-256 and its size. */
  async sha256(key: string, versionId: string | undefined): Promise<{ sha256: string; bytes: number }> {
    const out = await this.#s3
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }))
      .catch(this.#fail(`GetObject "${key}"`));
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of out.Body as Readable) {
      hash.update(chunk as Uint8Array);
      bytes += (chunk as Uint8Array).byteLength;
    }
    return { sha256: hash.digest("base64"), bytes };
  }

  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.#s3
      .send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }))
      .catch(this.#fail(`PutObject "${key}"`));
  }

  /** Deletes the object (that version of it, where versioning is on). */
  async delete(key: string, versionId: string | undefined): Promise<void> {
    await this.#s3
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }))
      .catch(this.#fail(`DeleteObject "${key}"`));
  }

  async abort(key: string, uploadId: string): Promise<void> {
    await this.#s3
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
      .catch((err) => {
        if (!isNoSuchUpload(err)) this.#fail(`AbortMultipartUpload "${key}"`)(err);
      });
  }
}
