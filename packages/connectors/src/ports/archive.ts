import type { Lifecycle } from "./common.ts";

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * Object storage (S3/MinIO or the filesystem). Keys are `/`-separated. A written object is
 * never visible partially: it appears whole or not at all. Writing the same key again
 * replaces it whole (reprocessing writes the same deterministic keys with the same rows).
 */
export interface Archive extends Lifecycle {
  readonly driver: string;
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** Throws a ReeltimeError with code REELTIME_ERR_NOT_FOUND when absent. */
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Every object under the prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: string[]): Promise<void>;
}
