export * from "./common.ts";
export { type DeadLetter, DeadLetterRecord } from "./dead-letter.ts";
export { archivePrefix, athenaDdl, renderDdl, tableName } from "./derive/athena.ts";
export {
  DEAD_LETTER_DATA_STREAM,
  eventsDataStream,
  ILM_POLICY_NAME,
  ilmPolicy,
  indexTemplates,
  RECORD_INDEX,
} from "./derive/elasticsearch.ts";
export { type Field, type FieldKind, leafFields, mergedFields } from "./derive/fields.ts";
export { artefacts, GENERATED_DIR, type GenerateReport, generate } from "./derive/generate.ts";
export { jsonSchemas, plain } from "./derive/json-schema.ts";
export { type Column, type ColumnType, columnValue, familyColumns, recordColumns } from "./derive/parquet.ts";
export { wireTypesSource } from "./derive/typescript.ts";
export {
  contextFromRecord,
  enrich,
  type ParsedUserAgent,
  parseUserAgent,
  type RequestContext,
  type RequestRecord,
  requestRecord,
  SERVER_FIELDS,
  truncateIp,
  withoutServerFields,
} from "./enrich.ts";
export { Attributes, Client, defineEvent, envelopeFields, Page, UserAgent, Video } from "./envelope.ts";
export * from "./examples.ts";
export { ApiEvents } from "./families/api.ts";
export { ClickEvents } from "./families/click.ts";
export * from "./families/cmcd.ts";
export { JOB_STATUSES, JOB_STEPS, JobEvents } from "./families/job.ts";
export { PLAYER_STATES, PlaybackEvents } from "./families/playback.ts";
export { LIMITS, SCHEMA_MAJOR, SCHEMA_VERSION } from "./limits.ts";
export { withoutPrivateFields } from "./private.ts";
export * from "./records.ts";
export * from "./registry.ts";
export * from "./topics.ts";
export * from "./validate.ts";
