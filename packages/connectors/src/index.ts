export type * from "@reeltime/ports";
export {
  boundedPayload,
  jsonPreview,
  MAX_DEAD_BYTES,
  MAX_DEAD_DEPTH,
  MAX_DEAD_NODES,
  type TruncatedPayload,
} from "@reeltime/ports";
export { checkKey, checkPrefix } from "./archive/keys.ts";
export { type PublishDeadLettersOptions, publishDeadLetters, withBusTimeout } from "./bus/dead-letters.ts";
export { checkSizes, MAX_MESSAGE_BYTES } from "./bus/limits.ts";
export { createArchive, createBus, createQueryEngine, createSearchStore } from "./factory.ts";
