import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { checkKey, checkPrefix, notFound } from "@reeltime/connectors/adapter";
import type { Archive, Health, ObjectInfo, PutOptions } from "@reeltime/ports";
import { type ConnectionEnv, ReeltimeError } from "@reeltime/runtime";
import { isMissing, isPreconditionFailed, s3Failure } from "./errors.ts";

export type S3Env = Pick<ConnectionEnv, "AWS_REGION" | "REELTIME_S3_BUCKET" | "REELTIME_S3_ENDPOINT">;

export interface S3ArchiveOptions {
  /** A ready client (tests inject faults through its middleware); otherwise made from env. */
  client?: S3Client;
  /** Objects of at least this many bytes are uploaded in parts (default 8 MiB). */
  multipartBytes?: number;
  /** Part size of multipart uploads (default 8 MiB; S3's minimum is 5 MiB). */
  partBytes?: number;
  /** Parts uploaded in parallel (default 4). */
  queueSize?: number;
}

const MiB = 1024 * 1024;

/**
 * S3 client settings for env: the standard credential chain; with REELTIME_S3_ENDPOINT (SeaweedFS
 * and other S3-compatible servers) path-style addressing; checksums only where S3 requires
 * them (newer SDK defaults break uploads to non-AWS servers); three attempts, short connect timeout.
 */
export function s3ClientConfig(env: S3Env): S3ClientConfig {
  const endpoint =
    env.REELTIME_S3_ENDPOINT && env.REELTIME_S3_ENDPOINT !== "aws" ? env.REELTIME_S3_ENDPOINT : undefined;
  return {
    region: env.AWS_REGION,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 120_000 },
  };
}

/**
 * The archive in an S3 bucket (AWS S3, or an S3-compatible server such as SeaweedFS). S3 makes
 * an object visible only once it is whole: a PutObject, or a multipart upload's completion; a
 * failed multipart upload is aborted so no parts linger.
 */
export function createS3Archive(env: S3Env, options: S3ArchiveOptions = {}): Archive {
  const client = options.client ?? new S3Client(s3ClientConfig(env));
  const Bucket = env.REELTIME_S3_BUCKET;
  const multipartBytes = options.multipartBytes ?? 8 * MiB;
  const partBytes = Math.max(options.partBytes ?? 8 * MiB, 5 * MiB);
  const queueSize = options.queueSize ?? 4;
  const fail = (op: string, key: string) => (err: unknown) => {
    throw s3Failure(op, key, Bucket, err);
  };

  async function put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<boolean> {
    const Key = checkKey(key);
    const ContentType = opts.contentType ?? "application/octet-stream";
    const cache = opts.cacheControl ? { CacheControl: opts.cacheControl } : {};
    // A create-only write is always one PutObject (up to 5 GB): S3 checks If-None-Match
    // atomically and answers 412 when the key exists.
    if (opts.ifAbsent || body.byteLength < multipartBytes)
      return client
        .send(
          new PutObjectCommand({
            Bucket,
            Key,
            Body: body,
            ContentType,
            ...cache,
            ContentLength: body.byteLength,
            ...(opts.ifAbsent ? { IfNoneMatch: "*" } : {}),
          }),
        )
        .then(
          () => true,
          (err) => {
            if (opts.ifAbsent && isPreconditionFailed(err)) return false;
            return fail("put", key)(err);
          },
        );
    const upload = new Upload({
      client,
      params: { Bucket, Key, Body: body, ContentType, ...cache },
      partSize: partBytes,
      queueSize,
      leavePartsOnError: false,
    });
    await upload.done().catch(fail("put", key));
    return true;
  }

  async function get(key: string): Promise<Uint8Array> {
    const Key = checkKey(key);
    const res = await client.send(new GetObjectCommand({ Bucket, Key })).catch((err) => {
      if (isMissing(err)) throw notFound(key);
      throw s3Failure("get", key, Bucket, err);
    });
    if (!res.Body) throw notFound(key);
    return res.Body.transformToByteArray().catch(fail("get", key));
  }

  async function exists(key: string): Promise<boolean> {
    const Key = checkKey(key);
    return client.send(new HeadObjectCommand({ Bucket, Key })).then(
      () => true,
      (err) => {
        if (isMissing(err) && (err as { name?: string }).name !== "NoSuchBucket") return false;
        throw s3Failure("exists", key, Bucket, err);
      },
    );
  }

  async function list(prefix: string): Promise<ObjectInfo[]> {
    const Prefix = checkPrefix(prefix);
    const out: ObjectInfo[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await client
        .send(new ListObjectsV2Command({ Bucket, Prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }))
        .catch(fail("list", prefix));
      for (const o of page.Contents ?? [])
        if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function remove(keys: string[]): Promise<void> {
    for (const k of keys) checkKey(k);
    for (let at = 0; at < keys.length; at += 1000) {
      const batch = keys.slice(at, at + 1000);
      const res = await client
        .send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
        .catch(fail("delete", batch[0]!));
      const first = res.Errors?.[0];
      if (first)
        throw new ReeltimeError(
          "REELTIME_ERR_ARCHIVE",
          `S3 could not delete ${res.Errors!.length} of ${batch.length} objects, first "${first.Key}": ${first.Code} ${first.Message}`,
        );
    }
  }

  async function start(): Promise<void> {
    await client.send(new HeadBucketCommand({ Bucket })).catch((err) => {
      throw s3Failure("open bucket", "", Bucket, isMissing(err) ? Object.assign(err, { name: "NoSuchBucket" }) : err);
    });
  }

  async function health(): Promise<Health> {
    try {
      await start();
      return { ok: true, driver: "s3", detail: Bucket };
    } catch (err) {
      return { ok: false, driver: "s3", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    driver: "s3",
    start,
    health,
    shutdown: async () => {
      if (!options.client) client.destroy();
    },
    put,
    get,
    exists,
    list,
    delete: remove,
  };
}
