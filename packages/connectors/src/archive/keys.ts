import { ReeltimeError } from "@reeltime/runtime";

// One key grammar for every archive, so a key that works on the filesystem works on S3 and
// the other way round: `/`-separated segments of URL-safe characters, no empty, `.` or `..`
// segment, nothing hidden (segments starting with `.` are reserved for the adapters' own files).
const SEGMENT = /^[A-Za-z0-9_=+,@~-][A-Za-z0-9._=+,@~-]*$/;
const MAX_KEY_BYTES = 1024;

function invalid(what: string, value: string, why: string): ReeltimeError {
  return new ReeltimeError(
    "REELTIME_ERR_ARCHIVE_KEY",
    `invalid archive ${what} ${JSON.stringify(value)}: ${why}; use "/"-separated segments of letters, digits and ._=+,@~- that do not start with "."`,
  );
}

/** Throws REELTIME_ERR_ARCHIVE_KEY unless `key` is a valid object key. */
export function checkKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) throw invalid("key", String(key), "it is empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalid("key", key, `it is longer than ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split("/")) {
    if (segment === "") throw invalid("key", key, "it has an empty segment (leading, trailing or double slash)");
    if (segment === "." || segment === "..") throw invalid("key", key, `it has a "${segment}" segment`);
    if (!SEGMENT.test(segment)) throw invalid("key", key, `the segment ${JSON.stringify(segment)} is not allowed`);
  }
  return key;
}

/** A list prefix is a key, a key followed by "/", a key with a partial last segment, or "" for all. */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== "string") throw invalid("prefix", String(prefix), "it is not a string");
  if (prefix === "") return prefix;
  if (prefix.endsWith("/")) {
    checkKey(prefix.slice(0, -1));
    return prefix;
  }
  const cut = prefix.lastIndexOf("/");
  if (cut >= 0) checkKey(prefix.slice(0, cut));
  if (!/^[A-Za-z0-9._=+,@~-]+$/.test(prefix.slice(cut + 1)))
    throw invalid("prefix", prefix, "its last segment has disallowed characters");
  return prefix;
}

export function notFound(key: string): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_NOT_FOUND", `no archive object at "${key}"`);
}
