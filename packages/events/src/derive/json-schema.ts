import { DeadLetterRecord } from "../dead-letter.ts";
import { RECORDS } from "../records.ts";
import { EVENT_SCHEMAS, EVENT_TYPES } from "../registry.ts";

/** A plain JSON copy of a TypeBox schema (drops TypeBox's symbol keys). */
export const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema));

/** JSON Schema (draft-07) for every event type and record. */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of EVENT_TYPES)
    out[t] = { $schema: "http://json-schema.org/draft-07/schema#", ...plain(EVENT_SCHEMAS[t]) };
  for (const [name, schema] of Object.entries(RECORDS))
    out[`record.${name}`] = {
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: `record.${name}`,
      ...plain(schema),
    };
  out["record.dead-letter"] = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "record.dead-letter",
    ...plain(DeadLetterRecord),
  };
  return out;
}
