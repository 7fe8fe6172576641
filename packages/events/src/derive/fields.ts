import type { TSchema } from "@sinclair/typebox";
import { HINT, PRIVATE } from "../common.ts";

/** How one leaf field is stored, whatever the store. */
export type FieldKind = "keyword" | "text" | "timestamp" | "integer" | "number" | "boolean" | "json";

export interface Field {
  path: string[];
  kind: FieldKind;
  /** A list of scalars of `kind` (e.g. CMCD `br`): Elasticsearch takes it as is, Parquet as JSON text. */
  list?: true;
  /** Personal data: archived, never copied to search. */
  private?: true;
}

type Schema = TSchema & Record<string, unknown>;

function kindOf(s: Schema): FieldKind | "object" {
  const hint = s[HINT] as string | undefined;
  if (hint === "json") return "json";
  if (hint === "timestamp") return "timestamp";
  if (hint === "text") return "text";
  const t = s.type;
  if (Array.isArray(t)) return "keyword";
  if (t === "object") return s.properties ? "object" : "json";
  if (t === "array") return "json";
  if (t === "integer") return "integer";
  if (t === "number") return "number";
  if (t === "boolean") return "boolean";
  return "keyword";
}

/** Leaf fields of a closed object schema, depth first, in declaration order. */
export function leafFields(schema: TSchema, prefix: string[] = []): Field[] {
  const out: Field[] = [];
  const props = (schema as Schema).properties as Record<string, Schema> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    const kind = kindOf(child);
    const items = child.items as Schema | undefined;
    const itemKind = child.type === "array" && child[HINT] !== "json" && items ? kindOf(items) : undefined;
    if (kind === "object") out.push(...leafFields(child, [...prefix, name]));
    else if (itemKind !== undefined && itemKind !== "object" && itemKind !== "json")
      out.push({ path: [...prefix, name], kind: itemKind, list: true });
    else out.push({ path: [...prefix, name], kind, ...(child[PRIVATE] === true ? { private: true as const } : {}) });
  }
  return out;
}

/**
 * Leaf fields of several schemas merged by path (one family's event types share one table/index).
 * A path typed differently by two schemas is a contract bug and throws.
 */
export function mergedFields(schemas: TSchema[]): Field[] {
  const byPath = new Map<string, Field>();
  for (const s of schemas)
    for (const f of leafFields(s)) {
      const key = f.path.join(".");
      const seen = byPath.get(key);
      if (seen && (seen.kind !== f.kind || seen.list !== f.list))
        throw new Error(
          `contract conflict: "${key}" is ${seen.kind}${seen.list ? " list" : ""} in one event type and ${f.kind}${f.list ? " list" : ""} in another`,
        );
      if (!seen) byPath.set(key, f);
    }
  return [...byPath.values()];
}

/** Parquet/Athena column name of a field: the path joined with "_" (all lowercase already). */
export const columnName = (f: Field): string => f.path.join("_");
