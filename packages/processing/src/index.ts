// The processor runtime: run a Processor over a consumer group, fold by key with checkpoints,
// dead letters, stale-hold fencing, lag. Used by every consumer group (stream-processors and the
// platform's updaters). Also the live viewers snapshots' format, shared by the viewers processor
// that writes them and the APIs that read them.

// The one dead-letter publisher lives beside the Bus port in @reeltime/connectors; re-exported for processors.
export { publishDeadLetters } from "@reeltime/connectors";
export { ContentError, classifyFailure, UNPROCESSABLE } from "./failures.ts";
export type { Folder } from "./folder.ts";
export { KeyedFold, UNFIT_KEY } from "./keyed-fold.ts";
export { evictedObjectKey } from "./list-folder.ts";
export {
  LIVE_SNAPSHOT_PREFIX,
  type LiveSnapshot,
  type LiveStream,
  type LiveViewers,
  type LiveViewersOptions,
  LiveViewersReader,
  liveSnapshotKey,
  mergeFigures,
  percentile,
  readLiveViewers,
  type StreamFigures,
  summarise,
} from "./live-viewers.ts";
export { deadLetter, decode, lastPositions } from "./messages.ts";
export { compareOffsets, orderBySeq } from "./order.ts";
export {
  type Committer,
  type Processor,
  type ProcessorMetrics,
  processorMetrics,
  type RunningProcessor,
  runProcessor,
  StaleBatchError,
} from "./run-processor.ts";
export { type LogObject, StateLog } from "./state-log.ts";
