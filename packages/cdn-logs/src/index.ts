// What other workspaces import from @reeltime/cdn-logs: the canonical real-time field list (the
// local edge's nginx log format writes it), the parsers, the import and the real-time consumer.
export {
  CLOUDFRONT_REALTIME_FIELDS,
  isRealtimeField,
  REALTIME_CMCD_KEYS,
  type RealtimeField,
  realtimeFieldOrder,
} from "./realtime-fields.ts";
