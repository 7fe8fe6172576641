import type { QueryEngine, QueryResult, SqlValue } from "@reeltime/connectors";
import { checkCost } from "./guard.ts";

export interface QueryRun {
  sql: string;
  params?: SqlValue[];
  /** Run an Athena or Trino query even without a dt partition filter. */
  force?: boolean;
  signal?: AbortSignal;
}

/** Runs SQL on the engine after the cost guard; the result carries bytes scanned on Athena and Trino. */
export async function runQuery(engine: QueryEngine, run: QueryRun): Promise<QueryResult> {
  checkCost(run.sql, engine.driver, run.force ?? false);
  return engine.run(run.sql, run.params ?? [], run.signal ? { signal: run.signal } : {});
}
