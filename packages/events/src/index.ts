// What other workspaces import from the contract, nothing more: events, records, their
// validation, what is derived from them (templates, DDL, columns) and the examples.
export { Bytes, Obj, PRIVATE } from "./common.ts";
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
export { type Field, type FieldKind, mergedFields } from "./derive/fields.ts";
export { artefacts, GENERATED_DIR, generate } from "./derive/generate.ts";
export { jsonSchemas, plain } from "./derive/json-schema.ts";
export { type Column, type ColumnType, columnValue, familyColumns, recordColumns } from "./derive/parquet.ts";
export { DEFAULT_DT_RANGE, renderTrinoDdl, type TrinoDdlParams, trinoDdl, trinoStatements } from "./derive/trino.ts";
export { wireTypesSource } from "./derive/typescript.ts";
export {
  contextFromRecord,
  enrich,
  enrichInPlace,
  parseUserAgent,
  type RequestContext,
  requestRecord,
  truncateIp,
  withoutServerFields,
} from "./enrich.ts";
export { Attributes, Client, Page, STREAM_TYPES, Video } from "./envelope.ts";
export { exampleEvent, exampleEvents } from "./examples.ts";
export {
  CMCD_EVENT_TYPES,
  CMCD_KEYS,
  CMCD_LIMITS,
  CMCD_OBJECT_TYPES,
  CMCD_PLAYER_STATES,
  CMCD_STREAM_TYPES,
  CMCD_STREAMING_FORMATS,
} from "./families/cmcd.ts";
export { Delivery, MAX_VIEW_POPS } from "./families/delivery.ts";
export { ANALYSIS_STEPS, CHUNK_STEPS, LOUDNESS_FLAGS } from "./families/job.ts";
export { LIMITS, SCHEMA_VERSION } from "./limits.ts";
export { withoutPrivateFields } from "./private.ts";
export {
  type JobRecord,
  RECORDS,
  type RecordName,
  VIDEO_STATUSES,
  type VideoRecord,
  VideoRendition,
  type ViewRecord,
} from "./records.ts";
export {
  type ClickEvent,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  type EventOf,
  type EventType,
  familyOf,
  isEventType,
  type JobEvent,
  type NotificationEvent,
  type PlaybackEvent,
  type ReeltimeEvent,
  routeOf,
  SERVER_EVENT_TYPES,
  schemasOfFamily,
  type UploadEvent,
} from "./registry.ts";
export { ALL_TOPICS, CLIENT_FAMILIES, FAMILIES, type Family, TOPICS, type Topic } from "./topics.ts";
export {
  type EventResult,
  type Issue,
  validateBatch,
  validateDeadLetter,
  validateEvent,
  validateRecord,
  warmUpValidators,
} from "./validate.ts";
