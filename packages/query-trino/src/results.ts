import { integer } from "@reeltime/connectors/adapter";

const INTEGER = new Set(["tinyint", "smallint", "integer", "bigint"]);
const FLOAT = new Set(["double", "real"]);

/**
 * A column type as Athena's results name it: without the length or precision Trino adds to
 * varchar, char and timestamps (`varchar(4)` → `varchar`, `timestamp(3) with time zone` →
 * `timestamp with time zone`); decimal keeps its precision and scale.
 */
export function typeName(type: string): string {
  const t = type.toLowerCase();
  const m = /^(varchar|char|timestamp|time)\(\d+\)(.*)$/.exec(t);
  return m ? `${m[1]}${m[2]}` : t;
}

/** Trino's timestamps come back as `2024-05-01 07:00:01.500` (UTC here), optionally with a zone. */
function timestamp(text: string): Date | string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,12}))?(?: (UTC|Z|\+00:00))?$/.exec(text);
  if (!m) return text;
  return new Date(`${m[1]}T${m[2]}.${(m[3] ?? "").padEnd(3, "0").slice(0, 3)}Z`);
}

/**
 * One value of Trino's JSON results as the JS type the QueryResult promises: integers exact
 * (`bigint` beyond 2^53, read from the JSON text), doubles as numbers (Trino sends NaN and the
 * infinities as strings), decimals as numbers, timestamps as Dates; dates, varchar and anything
 * else as Trino sent it.
 */
export function trinoValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  const t = typeName(type);
  if (INTEGER.has(t)) return typeof value === "bigint" ? integer(value) : value;
  if (FLOAT.has(t)) return typeof value === "string" ? Number(value) : value;
  if (t.startsWith("decimal")) return Number(value);
  if (t.startsWith("timestamp") && typeof value === "string") return timestamp(value);
  return value;
}

/**
 * JSON.parse keeping integers beyond 2^53 exact: a number whose text is an integer too big for
 * a double becomes a bigint (the reviver sees the source text).
 */
export function parseJson(text: string): unknown {
  return JSON.parse(text, function revive(this: unknown, _key: string, value: unknown, ctx?: { source?: string }) {
    if (typeof value === "number" && !Number.isSafeInteger(value) && ctx?.source && /^-?\d+$/.test(ctx.source))
      return BigInt(ctx.source);
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}
