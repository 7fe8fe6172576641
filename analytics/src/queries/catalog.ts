import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlValue } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import { placeholders } from "./sql.ts";

/** Where the named queries live: plain `.sql` files, one per query. */
export const QUERIES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "queries");

export interface QueryParam {
  name: string;
  description: string;
}

/** One named query: its SQL and, in order, the parameter bound to each `?`. */
export interface NamedQuery {
  name: string;
  description: string;
  /** One entry per `?`, in order; a name may repeat when the SQL uses a value twice. */
  params: QueryParam[];
  sql: string;
}

const usage = (message: string) => new ReeltimeError("REELTIME_ERR_USAGE", message);

/**
 * Reads a named query's header: `-- name: x`, free text lines (the description) and one
 * `-- param: name description` line per `?` placeholder, in the order they appear.
 */
export function parseNamedQuery(text: string, file = "query"): NamedQuery {
  const header = text.split("\n").filter((l) => l.startsWith("--"));
  let name: string | undefined;
  const description: string[] = [];
  const params: QueryParam[] = [];
  for (const line of header) {
    const body = line.replace(/^--\s?/, "");
    const n = /^name:\s*(\S+)\s*$/.exec(body);
    const p = /^param:\s*([a-z_][a-z0-9_]*)\s*(.*)$/.exec(body);
    if (n) name = n[1];
    else if (p) params.push({ name: p[1]!, description: p[2]!.trim() });
    else description.push(body.trim());
  }
  if (!name) throw new Error(`${file}: the header has no "-- name:" line`);
  const slots = placeholders(text).length;
  if (slots !== params.length)
    throw new Error(`${file}: ${slots} "?" placeholders but ${params.length} "-- param:" lines`);
  return { name, description: description.join(" ").trim(), params, sql: text.trim() };
}

/** Every named query in `dir`, by name. */
export async function loadNamedQueries(dir = QUERIES_DIR): Promise<Map<string, NamedQuery>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const out = new Map<string, NamedQuery>();
  for (const f of files) {
    const q = parseNamedQuery(await readFile(join(dir, f), "utf8"), f);
    out.set(q.name, q);
  }
  return out;
}

export async function namedQuery(name: string, dir = QUERIES_DIR): Promise<NamedQuery> {
  const all = await loadNamedQueries(dir);
  const q = all.get(name);
  if (!q) throw usage(`no named query "${name}"; choose from ${[...all.keys()].join(", ")}`);
  return q;
}

/** `k=v` pairs from the command line. */
export function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf("=");
    if (i <= 0) throw usage(`--param takes name=value; got "${pair}"`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** A decimal integer becomes a number (LIMIT-like parameters); anything else stays text. */
function value(text: string): SqlValue {
  return /^-?\d{1,15}$/.test(text) ? Number(text) : text;
}

/** The positional values for a named query, from `name=value` parameters (all required, none unknown). */
export function bindParams(query: NamedQuery, given: Record<string, string>): SqlValue[] {
  const known = new Set(query.params.map((p) => p.name));
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  const list = [...known].map((k) => `${k}=…`).join(" ");
  if (unknown.length > 0)
    throw usage(`named query "${query.name}" has no parameter ${unknown.join(", ")}; it takes ${list}`);
  const missing = [...known].filter((k) => given[k] === undefined);
  if (missing.length > 0)
    throw usage(`named query "${query.name}" needs ${missing.map((m) => `--param ${m}=…`).join(" ")}`);
  return query.params.map((p) => value(given[p.name]!));
}
