import { DEAD_LETTER_DATA_STREAM, eventsDataStream, FAMILIES, indexTemplates, RECORD_INDEX } from "@reeltime/events";
import type { SourceName } from "./types.ts";

type Props = Record<string, { type?: string; properties?: Props; fields?: Props }>;

const TEMPLATES: Record<SourceName, string[]> = {
  views: [RECORD_INDEX.views],
  jobs: [RECORD_INDEX.jobs],
  events: FAMILIES.map(eventsDataStream),
  deadLetters: [DEAD_LETTER_DATA_STREAM],
};

function walk(props: Props, prefix: string, out: Map<string, string>): void {
  for (const [name, def] of Object.entries(props)) {
    const path = prefix + name;
    if (def.properties) walk(def.properties, `${path}.`, out);
    else if (def.type) out.set(path, def.type);
    if (def.fields) walk(def.fields, `${path}.`, out);
  }
}

/** Field path → Elasticsearch type for a source, from the generated index templates (every family for events). */
export function sourceFields(source: SourceName): Map<string, string> {
  const all = indexTemplates() as Record<string, { template: { mappings: { properties: Props } } }>;
  const out = new Map<string, string>();
  for (const name of TEMPLATES[source]) walk(all[name]!.template.mappings.properties, "", out);
  return out;
}
