import type { QueryResult } from "@reeltime/connectors";

export const FORMATS = ["table", "csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  return String(v);
}

function csvCell(v: unknown): string {
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const numeric = (type: string) => /^(tinyint|smallint|integer|int|bigint|hugeint|double|float|real|decimal)/.test(type);

/** A query result as an aligned text table, RFC 4180 CSV or JSON (one array of row objects). */
export function formatResult(result: Pick<QueryResult, "columns" | "rows">, format: Format): string {
  const names = result.columns.map((c) => c.name);
  if (format === "json")
    return `${JSON.stringify(result.rows, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2)}\n`;
  if (format === "csv")
    return `${[names.map(csvCell).join(","), ...result.rows.map((r) => names.map((n) => csvCell(r[n])).join(","))].join("\r\n")}\r\n`;
  const cells = result.rows.map((r) => names.map((n) => (r[n] === null || r[n] === undefined ? "NULL" : text(r[n]))));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (numeric(result.columns[i]!.type) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  return `${[line(names), rule, ...cells.map(line)].join("\n")}\n(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})\n`;
}
