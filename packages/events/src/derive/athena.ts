import { RECORDS, type RecordName } from "../records.ts";
import { FAMILIES, type Family } from "../topics.ts";
import { type Column, familyColumns, recordColumns } from "./parquet.ts";

/** Where each table's Parquet lives, relative to the archive bucket root. */
export const archivePrefix = {
  family: (family: Family) => `events/event_type=${family}/`,
  record: (name: RecordName) => `records/${name}/`,
};

export const tableName = {
  family: (family: Family) => `${family}_events`,
  record: (name: RecordName) => name,
};

const columnsSql = (cols: Column[]) => cols.map((c) => `  \`${c.name}\` ${c.type}`).join(",\n");

const projection = (location: string, withHour: boolean) =>
  [
    `  'projection.enabled' = 'true'`,
    `  'projection.dt.type' = 'date'`,
    `  'projection.dt.format' = 'yyyy-MM-dd'`,
    `  'projection.dt.range' = '2024-01-01,NOW'`,
    `  'projection.dt.interval' = '1'`,
    `  'projection.dt.interval.unit' = 'DAYS'`,
    ...(withHour
      ? [
          `  'projection.hour.type' = 'integer'`,
          `  'projection.hour.range' = '0,23'`,
          `  'projection.hour.digits' = '2'`,
          `  'storage.location.template' = '${location}dt=\${dt}/hour=\${hour}/'`,
        ]
      : [`  'storage.location.template' = '${location}dt=\${dt}/'`]),
    `  'parquet.compression' = 'ZSTD'`,
  ].join(",\n");

function table(name: string, cols: Column[], prefix: string, withHour: boolean): string {
  const location = `s3://{{bucket}}/${prefix}`;
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`{{database}}\`.\`${name}\` (`,
    columnsSql(cols),
    ")",
    `PARTITIONED BY (\`dt\` string${withHour ? ", `hour` string" : ""})`,
    "STORED AS PARQUET",
    `LOCATION '${location}'`,
    "TBLPROPERTIES (",
    projection(location, withHour),
    ");",
    "",
  ].join("\n");
}

/**
 * Athena/Glue DDL for every table, with partition projection (no crawler, no MSCK REPAIR).
 * `{{database}}` and `{{bucket}}` are placeholders filled by `renderDdl`.
 */
export function athenaDdl(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FAMILIES)
    out[tableName.family(f)] = table(tableName.family(f), familyColumns(f), archivePrefix.family(f), true);
  for (const r of Object.keys(RECORDS) as RecordName[])
    out[tableName.record(r)] = table(r, recordColumns(r), archivePrefix.record(r), false);
  return out;
}

export function renderDdl(ddl: string, params: { database: string; bucket: string }): string {
  if (!/^[a-z0-9_]{1,255}$/.test(params.database)) throw new Error(`invalid Athena database name "${params.database}"`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(params.bucket))
    throw new Error(`invalid S3 bucket name "${params.bucket}"`);
  return ddl.replaceAll("{{database}}", params.database).replaceAll("{{bucket}}", params.bucket);
}
