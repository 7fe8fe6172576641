import type { Archive } from "@reeltime/connectors";
import {
  archivePrefix,
  athenaDdl,
  FAMILIES,
  familyColumns,
  RECORDS,
  type RecordName,
  recordColumns,
  renderDdl,
  tableName,
  trinoStatements,
} from "@reeltime/events";
import { visibleArchive } from "./compact/visible.ts";

/**
 * Athena statements, in order: the database, then one external table per contract table
 * (partition projection, so no crawler and no MSCK REPAIR). Each is a single statement
 * without its trailing semicolon, as StartQueryExecution takes them.
 */
export function athenaStatements(params: { database: string; bucket: string }): string[] {
  const tables = Object.values(athenaDdl()).map((ddl) => renderDdl(ddl, params).trim().replace(/;$/, ""));
  return [`CREATE DATABASE IF NOT EXISTS \`${params.database}\``, ...tables];
}

/**
 * Trino statements, in order: the schema, then one Hive-connector table per contract table over
 * the bucket, with Athena's partition projection (the contract's Trino DDL).
 */
export function trinoDdlStatements(params: {
  database: string;
  bucket: string;
  dtRange?: readonly [string, string];
}): string[] {
  return trinoStatements({
    schema: params.database,
    bucket: params.bucket,
    ...(params.dtRange ? { dtRange: params.dtRange } : {}),
  });
}

const SQL_TYPE = { string: "VARCHAR", timestamp: "TIMESTAMP", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN" };
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * DuckDB views over the archive's Parquet for the `duckdb` shell, with the Athena tables'
 * names, columns and partition columns. Files are listed now (after supersession by
 * compaction), so a view names exactly the files readers should see; `location` turns an
 * archive key into what DuckDB opens (a local path for the filesystem archive).
 */
export async function duckdbStatements(archive: Archive, location: (key: string) => string): Promise<string[]> {
  const visible = visibleArchive(archive);
  const tables = [
    ...FAMILIES.map((f) => ({
      name: tableName.family(f),
      prefix: archivePrefix.family(f),
      columns: familyColumns(f),
      hour: true,
    })),
    ...(Object.keys(RECORDS) as RecordName[]).map((r) => ({
      name: tableName.record(r),
      prefix: archivePrefix.record(r),
      columns: recordColumns(r),
      hour: false,
    })),
  ];
  const out: string[] = [];
  for (const t of tables) {
    const files = (await visible.list(t.prefix)).filter((o) => o.key.endsWith(".parquet")).map((o) => location(o.key));
    const typed = t.columns.map((c) => `CAST(${ident(c.name)} AS ${SQL_TYPE[c.type]}) AS ${ident(c.name)}`);
    const parts = [
      `regexp_extract(filename, 'dt=([0-9-]+)/', 1) AS "dt"`,
      ...(t.hour ? [`regexp_extract(filename, 'hour=([0-9]+)/', 1) AS "hour"`] : []),
    ];
    if (files.length === 0) {
      const nulls = t.columns.map((c) => `CAST(NULL AS ${SQL_TYPE[c.type]}) AS ${ident(c.name)}`);
      const pnull = ["dt", ...(t.hour ? ["hour"] : [])].map((p) => `CAST(NULL AS VARCHAR) AS "${p}"`);
      out.push(`CREATE OR REPLACE VIEW ${ident(t.name)} AS SELECT ${[...nulls, ...pnull].join(", ")} WHERE false`);
      continue;
    }
    // union_by_name with every contract column: a column no file has yet still exists (NULL).
    const scan = `read_parquet([${files.map(quote).join(", ")}], union_by_name = true, hive_partitioning = false, filename = true)`;
    out.push(`CREATE OR REPLACE VIEW ${ident(t.name)} AS SELECT ${[...typed, ...parts].join(", ")} FROM ${scan}`);
  }
  return out;
}
