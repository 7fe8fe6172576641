// What other workspaces import from @reeltime/cdn-logs: the canonical real-time field list (the
// local edge's nginx log format writes it), the parsers, the import and the real-time consumer.
export { cmcdFromFields, cmcdFromHeaderBlock, cmcdFromQuery } from "./cmcd.ts";
export { type ImportOptions, type ImportProgress, type ImportReport, importCdnLogs } from "./import.ts";
export { ImportLedger, LEDGER_PREFIX, type LedgerEntry } from "./ledger.ts";
export { fileLines } from "./lines.ts";
export { lineLetter, publishCdnEvents } from "./publish.ts";
export { parseRealtimeRecord, type RecordContext, type RecordOutcome } from "./realtime.ts";
export {
  checkRealtimeFields,
  DEFAULT_REALTIME_STREAM,
  REQUIRED_REALTIME_FIELDS,
  type RealtimeConsumerOptions,
  RealtimeLogProcessor,
  runRealtimeConsumer,
} from "./realtime-consumer.ts";
export {
  CLOUDFRONT_REALTIME_FIELDS,
  isRealtimeField,
  REALTIME_CMCD_KEYS,
  type RealtimeField,
  realtimeFieldOrder,
} from "./realtime-fields.ts";
export { type LogFile, type LogSource, openLogSource } from "./sources.ts";
export { type FileContext, type LineOutcome, parseStandardLog } from "./standard.ts";
export { type CdnEvent, type CdnSource, type LineProblem, toCdnEvent } from "./to-event.ts";
