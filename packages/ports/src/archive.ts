import type { Lifecycle } from "./common.ts";

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
  /**
   * The object's `Cache-Control`, for what serves the bucket to players (an edge, a CDN): S3 keeps
   * it with the object; the filesystem and in-memory archives ignore it (their HTTP server sets it).
   */
  cacheControl?: string;
  /** Create only: never replace an existing object (see {@link Archive.put}). */
  ifAbsent?: boolean;
}

/**
 * Object storage (S3 or an S3-compatible server, or the filesystem). Keys are `/`-separated.
 * A written object is never visible partially: it appears whole or not at all. Writing the same key again
 * replaces it whole (reprocessing writes the same deterministic keys with the same rows).
 */
export interface Archive extends Lifecycle {
  readonly driver: string;
  /**
   * Writes the object; resolves true. With `ifAbsent` the write happens only if no object has
   * the key yet, atomically (S3 `If-None-Match: *`, a hard link on the filesystem): it
   * resolves false and leaves the stored object as it is when one exists. Two writers racing
   * for a key this way never both win.
   */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /** Throws a ReeltimeError with code REELTIME_ERR_NOT_FOUND when absent. */
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Every object under the prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: string[]): Promise<void>;
}
