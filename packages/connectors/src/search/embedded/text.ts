import MiniSearch from "minisearch";
import { SEARCH_FIELDS } from "../common.ts";

/**
 * Elasticsearch's `fuzziness: AUTO` allows 0 edits up to 2 characters, 1 up to 5 and 2 beyond,
 * counting a transposition as one edit. MiniSearch counts plain Levenshtein edits (a
 * transposition is two), so terms of 5 characters get 2 to find what Elasticsearch finds.
 */
export function fuzziness(term: string): number {
  if (term.length < 3) return 0;
  return term.length < 5 ? 1 : 2;
}

/** The text at a path: a string, or a list of strings joined with spaces (as Elasticsearch analyses an array). */
function pick(doc: unknown, path: string): string | undefined {
  let node = doc;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === "string") return node;
  if (Array.isArray(node) && node.length > 0 && node.every((v) => typeof v === "string")) return node.join(" ");
  return undefined;
}

/** Full-text index over the searchable fields; documents stay in the store, only ids live here. */
export class TextIndex {
  readonly #index = new MiniSearch<{ event_id: string }>({
    idField: "event_id",
    fields: Object.keys(SEARCH_FIELDS),
    extractField: (doc, field) => {
      if (field === "event_id") return doc.event_id;
      return pick(doc, field);
    },
  });

  add(event: { event_id: string }): void {
    if (Object.keys(SEARCH_FIELDS).some((f) => pick(event, f) !== undefined)) this.#index.add(event);
  }

  /** Ids best first, keeping only those `keep` accepts, at most `n`. */
  search(text: string, keep: (id: string) => boolean, n: number): { id: string; score: number }[] {
    if (n === 0 || text.trim() === "") return [];
    const results = this.#index.search(text, {
      fuzzy: fuzziness,
      prefix: false,
      combineWith: "OR",
      boost: { ...SEARCH_FIELDS },
      filter: (r) => keep(r.id as string),
    });
    return results.slice(0, n).map((r) => ({ id: r.id as string, score: r.score }));
  }
}
