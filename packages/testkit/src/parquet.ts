import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Parquet bytes for the rows of a DuckDB SELECT, written by DuckDB's own COPY: the fixtures of
 * the query engines' tests (queryConformance's `parquet`). DuckDB loads on the first call, so a
 * test that imports @reeltime/testkit for something else does not load its native build.
 */
export async function parquetOf(selectSql: string): Promise<Uint8Array> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "reeltime-parquet-"));
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    const file = join(dir, "fixture.parquet");
    await conn.run(`COPY (${selectSql}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    return new Uint8Array(readFileSync(file));
  } finally {
    conn.closeSync();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs for minutes on two cores unless interrupted (queryConformance's `slowSql`). */
export const SLOW_SQL = "SELECT sum(hash(i)) AS h FROM range(100000000000) t(i)";

/** SLOW_SQL for Trino: a count over 10^12 generated rows (queryConformance's `slowSql` on Trino). */
export const TRINO_SLOW_SQL =
  "SELECT count(*) AS n FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 10000)) c(z)";
