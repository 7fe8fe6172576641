import {
  archivePrefix,
  type Column,
  type ColumnType,
  FAMILIES,
  familyColumns,
  RECORDS,
  type RecordName,
  recordColumns,
  tableName,
} from "@reeltime/events";

/** One table of the contract as DuckDB sees it: where its files live and its columns. */
export interface Table {
  name: string;
  /** Archive prefix of its objects, e.g. `events/event_type=playback/`. */
  prefix: string;
  columns: Column[];
  /** Hive partition columns, outermost first (`dt`, `hour`), always VARCHAR like in Athena. */
  partitions: string[];
}

/** Every table of the contract, with the same names, columns and partitions as the Athena DDL. */
export function contractTables(): Table[] {
  return [
    ...FAMILIES.map((f) => ({
      name: tableName.family(f),
      prefix: archivePrefix.family(f),
      columns: familyColumns(f),
      partitions: ["dt", "hour"],
    })),
    ...(Object.keys(RECORDS) as RecordName[]).map((r) => ({
      name: tableName.record(r),
      prefix: archivePrefix.record(r),
      columns: recordColumns(r),
      partitions: ["dt"],
    })),
  ];
}

const SQL_TYPE: Record<ColumnType, string> = {
  string: "VARCHAR",
  timestamp: "TIMESTAMP",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
};

export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** True when `relative` (a key below the table prefix) follows the table's partition layout. */
export function inLayout(table: Table, relative: string): boolean {
  const parts = relative.split("/");
  if (parts.length !== table.partitions.length + 1 || !parts.at(-1)!.endsWith(".parquet")) return false;
  return table.partitions.every((p, i) => parts[i]!.startsWith(`${p}=`) && parts[i]!.length > p.length + 1);
}

/** `read_parquet` over the table's files, with hive partitions read as VARCHAR like Athena. */
export function scan(table: Table, files: string[]): string {
  const types = table.partitions.map((p) => `${literal(p)}: VARCHAR`).join(", ");
  return `read_parquet([${files.map(literal).join(", ")}], hive_partitioning = true, union_by_name = true, hive_types = {${types}})`;
}

/**
 * The view exposing exactly the contract's columns with the contract's types: a column no file
 * has yet reads as NULL, so a table without files, or with files from an older minor version
 * of the contract, still answers every query the DDL allows.
 */
export function viewSql(table: Table, files: string[], present: Set<string>): string {
  const cols = [
    ...table.columns.map((c) => [c.name, SQL_TYPE[c.type]] as const),
    ...table.partitions.map((p) => [p, "VARCHAR"] as const),
  ].map(([name, type]) =>
    present.has(name) ? `CAST(${ident(name)} AS ${type}) AS ${ident(name)}` : `CAST(NULL AS ${type}) AS ${ident(name)}`,
  );
  const from = files.length > 0 ? ` FROM ${scan(table, files)}` : " WHERE false";
  return `CREATE OR REPLACE VIEW ${ident(table.name)} AS SELECT ${cols.join(", ")}${from}`;
}
