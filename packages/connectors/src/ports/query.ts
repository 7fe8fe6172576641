import type { Lifecycle } from "./common.ts";

export type SqlValue = string | number | boolean | null | Date;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  /** Athena: bytes scanned (billing); DuckDB: undefined. */
  bytesScanned?: number;
  executionMs: number;
}

/**
 * SQL over the Parquet archive (DuckDB locally, Athena in AWS). Parameters are always bound
 * (positional `?`); values are never spliced into the SQL text.
 */
export interface QueryEngine extends Lifecycle {
  readonly driver: string;
  run(sql: string, params?: SqlValue[], options?: { signal?: AbortSignal }): Promise<QueryResult>;
}
