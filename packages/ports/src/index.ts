export type * from "./archive.ts";
export type * from "./bus.ts";
export type * from "./common.ts";
export type * from "./content-analysis.ts";
export {
  boundedPayload,
  jsonPreview,
  MAX_DEAD_BYTES,
  MAX_DEAD_DEPTH,
  MAX_DEAD_NODES,
  type TruncatedPayload,
} from "./dead-letter.ts";
export type * from "./query.ts";
export type * from "./search.ts";
