export { KeyedFold, type Processor, processorMetrics, runProcessor } from "@reeltime/processing";
export { Archiver, hivePath } from "./archiver/event-archiver.ts";
export { ParquetWriter } from "./archiver/parquet.ts";
export { type BackfillProgress, backfill, hourPrefixes, rowToEvent } from "./backfill.ts";
export { DeadLetterIndexer } from "./indexer/dead-letters.ts";
export { INDEXER_DEFAULTS, Indexer } from "./indexer/indexer.ts";
export { computeJob } from "./jobs/compute.ts";
export { createJobTracker } from "./jobs/job-tracker.ts";
export { createJobArchiver, createViewArchiver } from "./records/record-archivers.ts";
export { type ReplayReport, replay } from "./replay.ts";
export {
  buildProcessors,
  PROCESSOR_NAMES,
  ProcessorEnv,
  type ProcessorName,
  type ProcessorTuning,
  parseOnly,
  runProcessService,
  startProcessors,
  tuningFromEnv,
} from "./service.ts";
export { computeView, type ViewEvent } from "./sessionizer/compute.ts";
export * from "./sessionizer/scores.ts";
export { createSessionizer } from "./sessionizer/sessionizer.ts";
