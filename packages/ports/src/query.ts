import type { Lifecycle } from "./common.ts";

/** A bound parameter. Dates are bound as UTC timestamps. */
export type SqlValue = string | number | boolean | null | Date;

export interface QueryResult {
  /** Result columns with the engine's lowercase SQL type, e.g. `varchar`, `bigint`, `timestamp`. */
  columns: { name: string; type: string }[];
  /**
   * Rows keyed by column name, typed the same way by every engine: integers as `number`
   * (`bigint` beyond 2^53), floating point and decimals as `number`, booleans as `boolean`,
   * timestamps as `Date`, dates as `YYYY-MM-DD` strings, SQL NULL as `null`.
   */
  rows: Record<string, unknown>[];
  /** Athena: bytes scanned (billing); DuckDB: undefined. */
  bytesScanned?: number;
  executionMs: number;
}

/**
 * SQL over the Parquet archive (DuckDB locally, Athena in AWS). Every table of the contract
 * exists (empty until its first file). Parameters are always bound (positional `?`); values are
 * never spliced into the SQL text by the caller. Errors are ReeltimeErrors:
 * `REELTIME_ERR_QUERY` (bad SQL or parameters), `REELTIME_ERR_QUERY_CANCELLED` (the signal fired),
 * `REELTIME_ERR_QUERY_UNAVAILABLE` (the engine or its storage is unreachable; retryable).
 */
export interface QueryEngine extends Lifecycle {
  readonly driver: string;
  run(sql: string, params?: SqlValue[], options?: { signal?: AbortSignal }): Promise<QueryResult>;
  /**
   * Makes objects archived so far visible to queries: DuckDB re-lists the archive; Athena
   * finds new partitions by projection, so there it does nothing.
   */
  refresh(): Promise<void>;
}
