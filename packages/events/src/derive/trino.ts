import { RECORDS, type RecordName } from "../records.ts";
import { FAMILIES } from "../topics.ts";
import { archivePrefix, tableName } from "./athena.ts";
import { type Column, type ColumnType, familyColumns, recordColumns } from "./parquet.ts";

/** Hive types as Trino names them; timestamps at millisecond precision, as Athena reads them. */
const TRINO_TYPE: Record<ColumnType, string> = {
  string: "varchar",
  timestamp: "timestamp(3)",
  bigint: "bigint",
  double: "double",
  boolean: "boolean",
};

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

// The Athena tables' projection, in the Hive connector's column and table properties: the same
// dt range and format, the same two-digit hour, the same location template.
const DT = [
  "partition_projection_type = 'DATE'",
  "partition_projection_format = 'yyyy-MM-dd'",
  "partition_projection_range = ARRAY['{{dt_from}}', '{{dt_to}}']",
  "partition_projection_interval = 1",
  "partition_projection_interval_unit = 'DAYS'",
].join(", ");
const HOUR = [
  "partition_projection_type = 'INTEGER'",
  "partition_projection_range = ARRAY['0', '23']",
  "partition_projection_digits = 2",
].join(", ");

function table(name: string, cols: Column[], prefix: string, withHour: boolean): string {
  const location = `s3://{{bucket}}/${prefix}`;
  const hour = withHour ? `/hour=\${hour}` : "";
  const template = `${location}dt=\${dt}${hour}/`;
  const columns = [
    ...cols.map((c) => `  ${ident(c.name)} ${TRINO_TYPE[c.type]}`),
    `  "dt" varchar WITH (${DT})`,
    ...(withHour ? [`  "hour" varchar WITH (${HOUR})`] : []),
  ];
  return [
    `CREATE TABLE IF NOT EXISTS "{{schema}}".${ident(name)} (`,
    columns.join(",\n"),
    ")",
    "WITH (",
    "  format = 'PARQUET',",
    `  external_location = '${location}',`,
    `  partitioned_by = ARRAY[${["dt", ...(withHour ? ["hour"] : [])].map((p) => `'${p}'`).join(", ")}],`,
    "  partition_projection_enabled = true,",
    `  partition_projection_location_template = '${template}'`,
    ");",
    "",
  ].join("\n");
}

/**
 * Trino DDL for every table (the Hive connector's), beside the Athena DDL: the same columns,
 * partitions, locations and partition projection, so the tables Athena reads in AWS can be made
 * on a Trino over the same bucket. `{{schema}}`, `{{bucket}}` and the projected dt range
 * (`{{dt_from}}`, `{{dt_to}}`) are filled by `renderTrinoDdl`.
 */
export function trinoDdl(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FAMILIES)
    out[tableName.family(f)] = table(tableName.family(f), familyColumns(f), archivePrefix.family(f), true);
  for (const r of Object.keys(RECORDS) as RecordName[])
    out[tableName.record(r)] = table(r, recordColumns(r), archivePrefix.record(r), false);
  return out;
}

/** Athena's projected dt range (athena.ts): from the first day of 2024 to today. */
export const DEFAULT_DT_RANGE: readonly [string, string] = ["2024-01-01", "NOW"];

export interface TrinoDdlParams {
  schema: string;
  bucket: string;
  /**
   * First and last projected day (YYYY-MM-DD or NOW). Every projected partition a query does not
   * rule out by its dt filter is listed on S3 (each hour of each day), so a narrower range makes
   * unfiltered queries cheaper; default Athena's.
   */
  dtRange?: readonly [string, string];
}

export function renderTrinoDdl(ddl: string, params: TrinoDdlParams): string {
  if (!/^[a-z0-9_]{1,255}$/.test(params.schema)) throw new Error(`invalid Trino schema name "${params.schema}"`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(params.bucket))
    throw new Error(`invalid S3 bucket name "${params.bucket}"`);
  const [from, to] = params.dtRange ?? DEFAULT_DT_RANGE;
  for (const d of [from, to])
    if (!/^(\d{4}-\d{2}-\d{2}|NOW)$/.test(d)) throw new Error(`invalid projected day "${d}": YYYY-MM-DD or NOW`);
  return ddl
    .replaceAll("{{schema}}", params.schema)
    .replaceAll("{{bucket}}", params.bucket)
    .replaceAll("{{dt_from}}", from)
    .replaceAll("{{dt_to}}", to);
}

/**
 * What `reeltime analytics ddl --engine trino --apply` runs, in order: the schema, then one table
 * per contract table, each a single statement without its trailing semicolon.
 */
export function trinoStatements(params: TrinoDdlParams): string[] {
  const tables = Object.values(trinoDdl()).map((ddl) => renderTrinoDdl(ddl, params).trim().replace(/;$/, ""));
  return [renderTrinoDdl('CREATE SCHEMA IF NOT EXISTS "{{schema}}"', params), ...tables];
}
