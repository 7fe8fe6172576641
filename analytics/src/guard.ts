import { ReeltimeError } from "@reeltime/runtime";
import { hasPartitionFilter } from "./queries/sql.ts";

/**
 * The cost guard: Athena bills by bytes scanned (10 MB minimum per query), so a query that
 * does not restrict the `dt` partition is refused unless forced. Trino too: with partition
 * projection, such a query lists every projected partition on S3 (slow, not billed). DuckDB is
 * local: no guard.
 */
export function checkCost(sql: string, engine: string, force: boolean): void {
  if (engine === "trino" && !force && !hasPartitionFilter(sql))
    throw new ReeltimeError(
      "REELTIME_ERR_QUERY_COST",
      "this Trino query has no partition filter on dt: with partition projection Trino lists every projected day " +
        "(and hour) of the table on S3, tens of thousands of listings since 2024; add e.g. " +
        "WHERE dt BETWEEN '2026-11-01' AND '2026-11-07', or pass --force to run it anyway",
    );
  if (engine !== "athena" || force || hasPartitionFilter(sql)) return;
  throw new ReeltimeError(
    "REELTIME_ERR_QUERY_COST",
    "this Athena query has no partition filter on dt, so it would scan every day of the table; " +
      "add e.g. WHERE dt BETWEEN '2026-11-01' AND '2026-11-07', or pass --force to run it anyway",
  );
}
