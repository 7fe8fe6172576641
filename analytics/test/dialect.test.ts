import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { loadNamedQueries } from "../src/queries/catalog.ts";
import { hasPartitionFilter, placeholderClauses } from "../src/queries/sql.ts";

/**
 * The named queries use one SQL text on both engines. Percentiles: Athena's approx_percentile
 * and DuckDB's quantile_cont differ (approximate vs interpolated), so the queries compute the
 * exact nearest-rank percentile with window functions both engines share:
 *   MIN(CASE WHEN ROW_NUMBER() ≥ CEIL(p × n) THEN x END)
 * `p` is a DECIMAL literal on both engines, so p × n is exact (0.95 × 20 = 19, not 19.000…04).
 */
const NEAREST_RANK = `
  WITH r AS (
    SELECT x, ROW_NUMBER() OVER (ORDER BY x ASC NULLS LAST) AS k, COUNT(x) OVER () AS n FROM t
  )
  SELECT
    MIN(CASE WHEN x IS NOT NULL AND k >= CEIL(0.50 * n) THEN x END) AS p50,
    MIN(CASE WHEN x IS NOT NULL AND k >= CEIL(0.95 * n) THEN x END) AS p95,
    quantile_disc(x, 0.50) AS duck_p50,
    quantile_disc(x, 0.95) AS duck_p95
  FROM r`;

async function percentiles(values: (number | null)[]) {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run(
      `CREATE TABLE t AS SELECT * FROM (VALUES ${values.map((v) => `(${v ?? "NULL"}::BIGINT)`).join(", ")}) v(x)`,
    );
    const [row] = (await conn.runAndReadAll(NEAREST_RANK)).getRowObjectsJS();
    return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, v === null ? null : Number(v)]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe("the dialect Athena and DuckDB share", () => {
  it("nearest-rank percentiles: hand-checked, and equal to DuckDB's quantile_disc", async () => {
    // 1..20: p50 = 10th value = 10; p95 = ceil(19.0) = 19th value = 19.
    expect(await percentiles(Array.from({ length: 20 }, (_, i) => i + 1))).toEqual({
      p50: 10,
      p95: 19,
      duck_p50: 10,
      duck_p95: 19,
    });
    // 100, 300, 200, NULL: NULLs ignored; sorted 100, 200, 300: p50 = ceil(1.5) = 2nd = 200; p95 = 3rd = 300.
    expect(await percentiles([100, 300, 200, null])).toEqual({ p50: 200, p95: 300, duck_p50: 200, duck_p95: 300 });
  });

  it("every named query keeps its placeholders in WHERE clauses (Athena's rule) and filters on dt", async () => {
    for (const q of (await loadNamedQueries()).values()) {
      expect(placeholderClauses(q.sql), q.name).toEqual(q.params.map(() => "where"));
      expect(hasPartitionFilter(q.sql), q.name).toBe(true);
      // Functions one engine lacks, or spells differently, stay out.
      expect(q.sql, q.name).not.toMatch(
        /approx_percentile|quantile|percentile_cont|LIMIT \?|::|ILIKE|QUALIFY|strftime|date_format/i,
      );
    }
  });

  it("the partition filter check looks at code, not comments or strings", () => {
    expect(hasPartitionFilter("SELECT * FROM views WHERE dt = ?")).toBe(true);
    expect(hasPartitionFilter("SELECT * FROM v WHERE v.dt BETWEEN '2026-01-01' AND '2026-01-02'")).toBe(true);
    expect(hasPartitionFilter("SELECT * FROM views WHERE '2026-01-01' <= dt")).toBe(true);
    expect(hasPartitionFilter("SELECT * FROM views -- WHERE dt = '2026-01-01'")).toBe(false);
    expect(hasPartitionFilter("SELECT 'dt = 1' FROM views")).toBe(false);
    expect(hasPartitionFilter("SELECT dt, count(*) FROM views GROUP BY dt")).toBe(false);
  });
});
