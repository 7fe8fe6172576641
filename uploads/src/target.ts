/** A part the upload target holds: its number, the ETag its PUT was answered with, its size. */
export interface StoredPart {
  number: number;
  etag: string;
  size: number;
}

/** What completing a multipart upload came to. */
export type Completion =
  | { ok: true; versionId?: string; etag: string }
  /** The target holds no such multipart upload (aborted, expired, or completed by an earlier call). */
  | { ok: false; gone: true }
  /** The target refused the part list (a part missing, an ETag that is not the part's): who refused and why. */
  | { ok: false; gone: false; refused: string };

/**
 * Where the parts of an upload go and how the whole object is read back: S3's multipart API
 * with presigned part URLs ({@link UploadsBucket} in s3.ts), or the archive with part URLs the
 * upload API serves itself ({@link ArchiveParts} in parts.ts, for the embedded default). The
 * client sees one contract either way: PUT each part to the URL it was given with exactly its
 * length, keep the ETag of the answer, complete with the ETags.
 */
export interface UploadTarget {
  /** The bucket (or archive) name recorded with the session and in the upload events. */
  readonly bucket: string;
  /** Starts a multipart upload of `key`: its id at the target. */
  create(key: string, contentType: string): Promise<string>;
  /** The URL part `n` is PUT to, valid for a while, accepting a body of exactly `length` bytes. */
  partUrl(key: string, uploadId: string, n: number, length: number): Promise<string>;
  /** The parts stored so far; undefined when the target holds no such multipart upload. */
  listParts(key: string, uploadId: string): Promise<StoredPart[] | undefined>;
  complete(key: string, uploadId: string, parts: { number: number; etag: string }[]): Promise<Completion>;
  /** The stored object (a multipart upload an earlier call completed); undefined when absent. */
  head(key: string): Promise<{ versionId?: string; etag: string; size: number } | undefined>;
  /** Reads the whole object once: its base64 SHA-256 and its size. */
  sha256(key: string, versionId: string | undefined): Promise<{ sha256: string; bytes: number }>;
  delete(key: string, versionId: string | undefined): Promise<void>;
  /** Stores a small object whole (a subtitle file attached to an upload), replacing any earlier one. */
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
  abort(key: string, uploadId: string): Promise<void>;
}
