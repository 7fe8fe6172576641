import type { ColumnInfo, Row } from "@aws-sdk/client-athena";
import { integer } from "@reeltime/connectors/adapter";

const INTEGER = new Set(["tinyint", "smallint", "integer", "int", "bigint"]);
const FLOAT = new Set(["double", "float", "real"]);

/** Athena timestamps come back as `2024-05-01 07:00:01.000` (UTC), optionally with a zone suffix. */
function timestamp(text: string): Date | string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?: (UTC|Z))?$/.exec(text);
  if (!m) return text;
  const [date, time] = [m[1]!, m[2]!];
  const [hms, frac = ""] = time.split(".");
  return new Date(`${date}T${hms}.${frac.padEnd(3, "0").slice(0, 3)}Z`);
}

/** Athena returns every value as text; this gives it the JS type the QueryResult promises. */
export function athenaValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  const t = type.toLowerCase();
  if (t === "boolean") return text === "true";
  if (INTEGER.has(t)) return integer(BigInt(text));
  if (FLOAT.has(t) || t.startsWith("decimal")) return Number(text);
  if (t.startsWith("timestamp")) return timestamp(text);
  return text;
}

/** Rows of one GetQueryResults page as objects, typed by the result's column metadata. */
export function athenaRows(columns: ColumnInfo[], rows: Row[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      out[c.Name ?? `_${i}`] = athenaValue(row.Data?.[i]?.VarCharValue, c.Type ?? "varchar");
    });
    return out;
  });
}
