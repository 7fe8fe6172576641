// What other workspaces import from @reeltime/cdn-logs: the canonical real-time field list (the
// local edge's nginx log format writes it), the parsers, the import and the real-time consumer.
export { cmcdFromFields, cmcdFromHeaderBlock, cmcdFromQuery } from "./cmcd.ts";
export { fileLines } from "./lines.ts";
export { parseRealtimeRecord, type RecordContext, type RecordOutcome } from "./realtime.ts";
export {
  CLOUDFRONT_REALTIME_FIELDS,
  isRealtimeField,
  REALTIME_CMCD_KEYS,
  type RealtimeField,
  realtimeFieldOrder,
} from "./realtime-fields.ts";
export { type FileContext, type LineOutcome, parseStandardLog } from "./standard.ts";
export { type CdnEvent, type CdnSource, type LineProblem, toCdnEvent } from "./to-event.ts";
