/**
 * Dead letters keep what a client or producer sent, but never an unbounded structure: a
 * payload nested deeper than MAX_DEAD_DEPTH, with more than MAX_DEAD_NODES values, or larger
 * than MAX_DEAD_BYTES as JSON is kept as the start of its JSON text instead. Every store and
 * serialiser on the dead-letter path (structured clone, JSON, Elasticsearch's mapping depth)
 * then handles it, and one hostile body cannot jam the dead-letter processor.
 */
export const MAX_DEAD_DEPTH = 16;
export const MAX_DEAD_NODES = 5000;
export const MAX_DEAD_BYTES = 64 * 1024;

export interface TruncatedPayload {
  truncated: true;
  /** Why the payload was not kept as it came. */
  why: string;
  /** The start of its JSON text (or of the raw text when it was not JSON). */
  text: string;
}

/** Depth and number of values of a JSON-like value, walked without recursion; stops at the limits. */
function shape(value: unknown): { depth: number; nodes: number } {
  const stack: [unknown, number][] = [[value, 1]];
  let depth = 0;
  let nodes = 0;
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    nodes++;
    if (d > depth) depth = d;
    if (depth > MAX_DEAD_DEPTH || nodes > MAX_DEAD_NODES) break;
    if (v !== null && typeof v === "object")
      for (const child of Array.isArray(v) ? v : Object.values(v as object)) stack.push([child, d + 1]);
  }
  return { depth, nodes };
}

function safeText(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (err) {
    return `(not serialisable: ${(err as Error).message})`;
  }
}

/**
 * The start of a value's JSON text, at most `max` characters, written without recursion: any
 * depth is fine and no more of the value is visited than the preview needs.
 */
export function jsonPreview(value: unknown, max: number): string {
  const parts: string[] = [];
  let len = 0;
  const put = (s: string) => {
    parts.push(s);
    len += s.length;
  };
  const stack: { of: unknown; keys: string[] | undefined; i: number }[] = [];
  const visit = (key: string | undefined, v: unknown, first: boolean) => {
    if (!first) put(",");
    if (key !== undefined) put(`${JSON.stringify(key)}:`);
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function")
      v = (v as { toJSON(): unknown }).toJSON();
    if (Array.isArray(v)) {
      put("[");
      stack.push({ of: v, keys: undefined, i: 0 });
    } else if (v !== null && typeof v === "object") {
      put("{");
      const keys = Object.keys(v).filter((k) => {
        const x = (v as Record<string, unknown>)[k];
        return x !== undefined && typeof x !== "function";
      });
      stack.push({ of: v, keys, i: 0 });
    } else {
      let text: string | undefined;
      try {
        text = JSON.stringify(v);
      } catch {
        text = JSON.stringify(String(v));
      }
      put(text ?? "null");
    }
  };
  visit(undefined, value, true);
  while (stack.length > 0 && len < max) {
    const top = stack.at(-1)!;
    const size = top.keys ? top.keys.length : (top.of as unknown[]).length;
    if (top.i >= size) {
      put(top.keys ? "}" : "]");
      stack.pop();
      continue;
    }
    const i = top.i++;
    if (top.keys) visit(top.keys[i], (top.of as Record<string, unknown>)[top.keys[i]!], i === 0);
    else visit(undefined, (top.of as unknown[])[i], i === 0);
  }
  return parts.join("").slice(0, max);
}

/** The payload to keep in a dead letter: the value itself when it is within bounds. */
export function boundedPayload(value: unknown): unknown {
  const { depth, nodes } = shape(value);
  const why =
    depth > MAX_DEAD_DEPTH
      ? `nested deeper than ${MAX_DEAD_DEPTH} levels`
      : nodes > MAX_DEAD_NODES
        ? `more than ${MAX_DEAD_NODES} values`
        : undefined;
  const text = why ? undefined : safeText(value);
  if (!why && text!.length <= MAX_DEAD_BYTES) return value;
  return {
    truncated: true,
    why: why ?? `larger than ${MAX_DEAD_BYTES / 1024} KB as JSON`,
    text: (text ?? jsonPreview(value, MAX_DEAD_BYTES)).slice(0, MAX_DEAD_BYTES).toWellFormed(),
  } satisfies TruncatedPayload;
}
