import { leafFields } from "./derive/fields.ts";
import { EVENT_SCHEMAS, type EventType } from "./registry.ts";

let privatePaths: Map<string, string[][]> | undefined;

/** The private leaf paths of each event type (computed once from the contract). */
function pathsOf(type: string): string[][] {
  privatePaths ??= new Map(
    (Object.keys(EVENT_SCHEMAS) as EventType[]).map((t) => [
      t,
      leafFields(EVENT_SCHEMAS[t])
        .filter((f) => f.private)
        .map((f) => f.path),
    ]),
  );
  return privatePaths.get(type) ?? [];
}

/**
 * The event without the fields the contract marks private (PRIVATE in common.ts): what the
 * search stores hold. The event itself is not changed; objects on a private path are copied.
 */
export function withoutPrivateFields<E extends { event_type: string }>(event: E): E {
  const paths = pathsOf(event.event_type);
  if (paths.length === 0) return event;
  const out: Record<string, unknown> = { ...event };
  for (const path of paths) {
    let node = out;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      if (child === null || typeof child !== "object") {
        node = {};
        break;
      }
      node[part] = { ...(child as Record<string, unknown>) };
      node = node[part] as Record<string, unknown>;
    }
    delete node[path.at(-1)!];
  }
  return out as E;
}
