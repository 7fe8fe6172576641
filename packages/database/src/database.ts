/** One page of rows and how many rows the statement returned or changed. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * PostgreSQL as the platform roles use it: SQL text with bound parameters (`$1`, `$2`…), never a
 * value spliced into the text. Without parameters, the text may hold several statements (a
 * migration); the last statement's rows are returned.
 */
export interface Database {
  query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Pick<Database, "query">) => Promise<R>): Promise<R>;
  /** `pglite` in-process (the embedded default), `postgres` for a server. */
  readonly kind: "pglite" | "postgres";
  close(): Promise<void>;
}

/** One versioned schema change of one owner (a role: "catalogue", "uploads", "notifier"). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
