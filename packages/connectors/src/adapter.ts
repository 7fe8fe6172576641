// `@reeltime/connectors/adapter`: what the adapter packages (@reeltime/bus-kafka and the
// others, each bringing its own SDK) share with the adapters of this package, nothing more.
// Apps use the factory and the rules in ./index.ts instead.
export { checkKey, checkPrefix, notFound } from "./archive/keys.ts";
export { backoffMs, sleep, untilTopicsLed, withDeadline } from "./bus/backoff.ts";
export { writeFileAtomic } from "./bus/embedded/files.ts";
export { checkSizes, MAX_MESSAGE_BYTES, messageBytes, stoppedError } from "./bus/limits.ts";
export { ProduceQueue, REQUEST_BYTES, requestChunks, type TopicMessages } from "./bus/produce-queue.ts";
export { integer, queryCancelled, queryFailed } from "./query/errors.ts";
export { placeholders, trinoLiteral } from "./query/literals.ts";
export {
  checkDeadLetter,
  checkFilter,
  checkLimit,
  isRejected,
  route,
  SEARCH_FIELDS,
  TERM_FIELDS,
  videoDocId,
} from "./search/common.ts";
