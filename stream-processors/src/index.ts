// What other workspaces import from the stream processors (the CLI, the drill, bench, tests), nothing more.

export { KeyedFold, type Processor, processorMetrics, runProcessor } from "@reeltime/processing";
export { ParquetWriter } from "./archiver/parquet.ts";
export { backfill, hourPrefixes } from "./backfill.ts";
export { INDEXER_DEFAULTS, Indexer } from "./indexer/indexer.ts";
export { createVideoRecordArchive } from "./records/record-archivers.ts";
export { replay } from "./replay.ts";
export {
  PROCESSOR_NAMES,
  ProcessorEnv,
  type ProcessorTuning,
  runProcessService,
  startProcessors,
  tuningFromEnv,
} from "./service.ts";
export { computeView, type ViewEvent, type ViewInput } from "./sessionizer/compute.ts";
export { createSessionizer } from "./sessionizer/sessionizer.ts";
export { LIVE_LATENCY_BUCKETS, viewersMetrics } from "./viewers/metrics.ts";
export { ViewersProcessor } from "./viewers/viewers.ts";
