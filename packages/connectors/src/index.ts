// What other workspaces import from @reeltime/connectors, nothing more: the factory, the port
// types they use it through, the one dead-letter publisher, and the rules every adapter shares
// for a test double to follow too. Adapter packages use ./adapter.ts
// (@reeltime/connectors/adapter) instead.
export type {
  Archive,
  Bus,
  BusMessage,
  ConsumedBatch,
  ConsumedMessage,
  ConsumeOptions,
  DeadLetter,
  EventFilter,
  Health,
  IndexResult,
  Lease,
  ObjectInfo,
  PartitionLag,
  Position,
  PutOptions,
  QueryEngine,
  QueryResult,
  SearchStore,
  SqlValue,
  StoredEvent,
  Subscription,
} from "@reeltime/ports";
export { boundedPayload } from "@reeltime/ports";
export { checkKey, checkPrefix } from "./archive/keys.ts";
export { publishDeadLetters, withBusTimeout } from "./bus/dead-letters.ts";
export {
  BATCH_V1,
  encodeEventRecords,
  endsRecord,
  type PackedRecords,
  packEventRecords,
  RECORD_FORMAT_HEADER,
  RECORD_FORMATS,
  type RecordFormat,
  recordPosition,
  splitRecord,
  unpackEventRecords,
} from "./bus/event-records.ts";
export { checkSizes, MAX_MESSAGE_BYTES } from "./bus/limits.ts";
export { createArchive, createBus, createQueryEngine, createSearchStore } from "./factory.ts";
