import { notFound } from "@reeltime/connectors/adapter";
import { ReeltimeError, unavailable } from "@reeltime/runtime";

type AwsError = {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
};

const NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|TimeoutError|RequestTimeout/i;

/** Whether the SDK answered "no such object" (GetObject says NoSuchKey, HeadObject a bare 404). */
export function isMissing(err: unknown): boolean {
  const e = err as AwsError;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** Whether a conditional write lost: the object exists (`If-None-Match: *` answered 412). */
export function isPreconditionFailed(err: unknown): boolean {
  const e = err as AwsError;
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412;
}

/**
 * Maps an S3 SDK error (after the SDK's own bounded retries) to a ReeltimeError: unreachable,
 * throttled or 5xx are retryable `REELTIME_ERR_ARCHIVE_UNAVAILABLE`; a missing bucket or bad
 * credentials say what to fix.
 */
export function s3Failure(op: string, key: string, bucket: string, err: unknown): ReeltimeError {
  if (err instanceof ReeltimeError) return err;
  const e = (err ?? {}) as AwsError;
  const name = e.name ?? e.code ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const why = `${name}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`;
  const what = key ? `${op} "${key}"` : op;
  if (name === "NoSuchKey") return notFound(key);
  if (name === "NoSuchBucket")
    return new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `the archive bucket "${bucket}" does not exist: create it or set REELTIME_S3_BUCKET`,
      { cause: err },
    );
  if (["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "CredentialsProviderError"].includes(name))
    return new ReeltimeError(
      "REELTIME_ERR_ARCHIVE_AUTH",
      `S3 refused ${what} in bucket "${bucket}" (${why}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the role's policy`,
      { cause: err },
    );
  if (
    NETWORK.test(`${name} ${e.code ?? ""} ${e.message ?? ""}`) ||
    (status !== undefined && status >= 500) ||
    name === "SlowDown"
  )
    return unavailable("archive", `S3 ${what} in bucket "${bucket}" failed after retries: ${why}`, err);
  return new ReeltimeError("REELTIME_ERR_ARCHIVE", `S3 ${what} in bucket "${bucket}" failed: ${why}`, { cause: err });
}
