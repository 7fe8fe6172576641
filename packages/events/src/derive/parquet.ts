import { RECORDS, type RecordName } from "../records.ts";
import { schemasOfFamily } from "../registry.ts";
import type { Family } from "../topics.ts";
import { columnName, type Field, type FieldKind, mergedFields } from "./fields.ts";

export type ColumnType = "string" | "timestamp" | "bigint" | "double" | "boolean";

/** One Parquet column: its lowercase name, the contract path it is read from, and its type. */
export interface Column {
  name: string;
  path: string[];
  type: ColumnType;
  /** `json` columns hold the field serialised as JSON text (free-form maps, lists of scalars too). */
  json: boolean;
}

const TYPE: Record<FieldKind, ColumnType> = {
  keyword: "string",
  text: "string",
  json: "string",
  timestamp: "timestamp",
  integer: "bigint",
  number: "double",
  boolean: "boolean",
};

const toColumn = (f: Field): Column => ({
  name: columnName(f),
  path: f.path,
  type: f.list ? "string" : TYPE[f.kind],
  json: f.kind === "json" || f.list === true,
});

function checkUnique(cols: Column[], what: string): Column[] {
  const seen = new Set<string>();
  for (const c of cols) {
    if (seen.has(c.name)) throw new Error(`contract conflict: two fields of ${what} flatten to the column "${c.name}"`);
    seen.add(c.name);
  }
  return cols;
}

/** The Parquet columns of one event family (the union of its event types' fields). */
export function familyColumns(family: Family): Column[] {
  return checkUnique(mergedFields(schemasOfFamily(family)).map(toColumn), `the ${family} family`);
}

export function recordColumns(name: RecordName): Column[] {
  return checkUnique(mergedFields([RECORDS[name]]).map(toColumn), `the ${name} record`);
}

/** Reads a column's value out of an event or record (undefined when absent). */
export function columnValue(row: unknown, col: Column): unknown {
  let cur: unknown = row;
  for (const p of col.path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return undefined;
  return col.json ? JSON.stringify(cur) : cur;
}
