import type { SqlValue } from "@reeltime/ports";
import { queryFailed } from "./errors.ts";

/**
 * Offsets of the positional `?` placeholders in `sql`, skipping string literals, quoted
 * identifiers and comments (where a `?` is just text).
 */
export function placeholders(sql: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      i++;
      while (i < sql.length && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1;
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else {
      if (c === "?") out.push(i);
      i++;
    }
  }
  return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * One parameter as the SQL literal Trino binds: what Athena's ExecutionParameters and Trino's
 * `EXECUTE … USING` take (the SQL text itself keeps its `?`). Strings are quoted with their single
 * quotes doubled (the only escape Trino knows), numbers and booleans go bare, Dates become UTC
 * `TIMESTAMP '…'` literals.
 */
export function trinoLiteral(value: SqlValue, index: number): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw queryFailed(`parameter ${index + 1} is ${value}; pass a finite number or null`);
    return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER
      ? String(value)
      : value.toExponential().toUpperCase();
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw queryFailed(`parameter ${index + 1} is an invalid Date`);
    const d = value;
    return `TIMESTAMP '${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}'`;
  }
  throw queryFailed(
    `parameter ${index + 1} has unsupported type ${typeof value}; use string, number, boolean, Date or null`,
  );
}
