import {
  archivePrefix,
  athenaDdl,
  FAMILIES,
  familyColumns,
  RECORDS,
  type RecordName,
  recordColumns,
  tableName,
} from "@reeltime/events";

/** One Glue table as the contract defines it; `{{bucket}}` in `parameters` stands for the archive bucket. */
export interface GlueTableSpec {
  name: string;
  /** Prefix of the table's Parquet files in the archive bucket. */
  prefix: string;
  columns: { name: string; type: string }[];
  partitionKeys: { name: string; type: string }[];
  /** TBLPROPERTIES of the DDL: partition projection, location template, compression. */
  parameters: Record<string, string>;
}

const RECORD_TABLES = Object.keys(RECORDS) as RecordName[];

/** `'key' = 'value'` pairs of a DDL statement's TBLPROPERTIES, in order. */
export function tableProperties(ddl: string): Record<string, string> {
  const block = /TBLPROPERTIES \(\n([\s\S]*?)\n\);/.exec(ddl)?.[1];
  if (!block) throw new Error("the contract's DDL has no TBLPROPERTIES block");
  const out: Record<string, string> = {};
  for (const line of block.split("\n")) {
    const m = /^\s*'([^']+)' = '([^']*)',?$/.exec(line);
    if (!m) throw new Error(`unexpected TBLPROPERTIES line in the contract's DDL: ${line}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** Partition columns of a DDL statement (`PARTITIONED BY (...)`). */
export function partitionKeys(ddl: string): { name: string; type: string }[] {
  const block = /PARTITIONED BY \(([^)]*)\)/.exec(ddl)?.[1];
  if (!block) throw new Error("the contract's DDL has no PARTITIONED BY clause");
  return block.split(",").map((part) => {
    const m = /`([a-z0-9_]+)` ([a-z]+)/.exec(part.trim());
    if (!m) throw new Error(`unexpected partition column in the contract's DDL: ${part}`);
    return { name: m[1]!, type: m[2]! };
  });
}

/**
 * Every Athena table of the contract as a Glue table: columns from `familyColumns`/`recordColumns`,
 * partitions and projection settings read from `athenaDdl()`, so the stack and the DDL of
 * `reeltime query` never drift apart.
 */
export function glueTables(): GlueTableSpec[] {
  const ddl = athenaDdl();
  const spec = (name: string, prefix: string, cols: { name: string; type: string }[]): GlueTableSpec => {
    const statement = ddl[name];
    if (!statement) throw new Error(`the contract's DDL has no table ${name}`);
    return {
      name,
      prefix,
      columns: cols.map((c) => ({ name: c.name, type: c.type })),
      partitionKeys: partitionKeys(statement),
      parameters: tableProperties(statement),
    };
  };
  return [
    ...FAMILIES.map((f) => spec(tableName.family(f), archivePrefix.family(f), familyColumns(f))),
    ...RECORD_TABLES.map((r) => spec(tableName.record(r), archivePrefix.record(r), recordColumns(r))),
  ];
}
