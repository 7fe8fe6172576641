export { Archiver, hivePath } from "./archiver/archiver.ts";
export { ParquetWriter } from "./archiver/parquet.ts";
export { type BackfillProgress, backfill, hourPrefixes, rowToEvent } from "./backfill.ts";
export { DeadLetterIndexer } from "./indexer/dead-letters.ts";
export { INDEXER_DEFAULTS, Indexer } from "./indexer/indexer.ts";
export { computeJob } from "./jobs/compute.ts";
export { createJobTracker } from "./jobs/processor.ts";
export { createJobArchiver, createViewArchiver } from "./records/archiver.ts";
export { type ReplayReport, replay } from "./replay.ts";
export { KeyedFold } from "./runtime/keyed-fold.ts";
export { type Processor, processorMetrics, runProcessor } from "./runtime/processor.ts";
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
export { createSessionizer } from "./sessionizer/processor.ts";
export * from "./sessionizer/scores.ts";
