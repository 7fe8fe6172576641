import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createSearchStore,
  type SearchStore,
} from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { type Processor, processorMetrics, type RunningProcessor, runProcessor } from "@reeltime/processing";
import {
  ConnectionEnv,
  createLogger,
  createRegistry,
  type Logger,
  loadEnv,
  ReeltimeError,
  type Registry,
  startOpsServer,
} from "@reeltime/runtime";
import { Type } from "@sinclair/typebox";
import { Archiver, type ArchiverOptions } from "./archiver/event-archiver.ts";
import { ParquetWriter } from "./archiver/parquet.ts";
import { createDeliveryProcessor } from "./delivery/delivery.ts";
import { DeadLetterIndexer } from "./indexer/dead-letters.ts";
import { Indexer, type IndexerOptions } from "./indexer/indexer.ts";
import { createJobTracker } from "./jobs/job-tracker.ts";
import { createJobArchiver, createViewArchiver } from "./records/record-archivers.ts";
import { createSessionizer } from "./sessionizer/sessionizer.ts";
import { type ViewersOptions, ViewersProcessor } from "./viewers/viewers.ts";

export const PROCESSOR_NAMES = [
  "indexer",
  "dead-letters",
  "sessionizer",
  "jobs",
  "archiver",
  "view-archiver",
  "job-archiver",
  "viewers",
  "delivery",
] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

export interface ProcessorDeps {
  bus: Bus;
  search: SearchStore;
  archive: Archive;
  log: Logger;
  registry: Registry;
}

export interface ProcessorTuning {
  indexer?: IndexerOptions;
  archiver?: ArchiverOptions;
  viewTimeoutMs?: number;
  snapshotEveryMs?: number;
  lagIntervalMs?: number;
  /** Lag with no progress for this long marks a partition stalled (default 60 s). */
  stallAfterMs?: number;
  viewers?: ViewersOptions;
}

/** Builds the chosen processors over shared connections (each is its own consumer group). */
export function buildProcessors(
  deps: ProcessorDeps,
  only: readonly ProcessorName[] = PROCESSOR_NAMES,
  tuning: ProcessorTuning = {},
) {
  const metrics = processorMetrics(deps.registry);
  const common = { ...deps, metrics };
  const writer = new ParquetWriter();
  const make: Record<ProcessorName, () => Processor> = {
    indexer: () => new Indexer(common, tuning.indexer),
    "dead-letters": () => new DeadLetterIndexer(common),
    sessionizer: () =>
      createSessionizer(common, {
        ...(tuning.viewTimeoutMs !== undefined ? { timeoutMs: tuning.viewTimeoutMs } : {}),
        ...(tuning.snapshotEveryMs !== undefined ? { snapshotEveryMs: tuning.snapshotEveryMs } : {}),
      }),
    jobs: () =>
      createJobTracker(common, tuning.snapshotEveryMs !== undefined ? { snapshotEveryMs: tuning.snapshotEveryMs } : {}),
    archiver: () => new Archiver({ ...common, writer }, tuning.archiver),
    "view-archiver": () =>
      createViewArchiver(
        { ...common, writer },
        {
          ...(tuning.viewTimeoutMs !== undefined ? { timeoutMs: tuning.viewTimeoutMs } : {}),
          ...(tuning.snapshotEveryMs !== undefined ? { snapshotEveryMs: tuning.snapshotEveryMs } : {}),
        },
      ),
    delivery: () =>
      createDeliveryProcessor(
        common,
        tuning.snapshotEveryMs !== undefined ? { snapshotEveryMs: tuning.snapshotEveryMs } : {},
      ),
    "job-archiver": () =>
      createJobArchiver(
        { ...common, writer },
        tuning.snapshotEveryMs !== undefined ? { snapshotEveryMs: tuning.snapshotEveryMs } : {},
      ),
    viewers: () => new ViewersProcessor({ registry: deps.registry, archive: deps.archive }, tuning.viewers),
  };
  return { processors: only.map((n) => make[n]()), metrics, writer };
}

/** Starts processors and returns a handle that stops them (flushing and committing what is durable). */
export async function startProcessors(
  deps: ProcessorDeps,
  only?: readonly ProcessorName[],
  tuning: ProcessorTuning = {},
) {
  const { processors, metrics, writer } = buildProcessors(deps, only, tuning);
  const running: RunningProcessor[] = [];
  for (const p of processors)
    running.push(
      await runProcessor(p, {
        bus: deps.bus,
        log: deps.log,
        metrics,
        ...(tuning.lagIntervalMs !== undefined ? { lagIntervalMs: tuning.lagIntervalMs } : {}),
        ...(tuning.stallAfterMs !== undefined ? { stallAfterMs: tuning.stallAfterMs } : {}),
      }),
    );
  return {
    running,
    /** The processor metrics on `deps.registry`: other consumer groups of the process share them. */
    metrics,
    async stop() {
      await Promise.all(running.map((r) => r.stop()));
      await writer.close();
    },
  };
}

export function parseOnly(value: string | undefined): ProcessorName[] {
  if (!value) return [...PROCESSOR_NAMES];
  const names = value.split(",").map((s) => s.trim());
  for (const n of names)
    if (!(PROCESSOR_NAMES as readonly string[]).includes(n))
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `unknown processor "${n}"; choose from ${PROCESSOR_NAMES.join(", ")}`,
      );
  return names as ProcessorName[];
}

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });

/** Tuning of `reeltime process` by environment. */
export const ProcessorEnv = Type.Object({
  REELTIME_INDEXER_FLUSH_MS: Int(500, 10, 60_000, "longest an event waits in the indexer's buffer"),
  REELTIME_ARCHIVER_ROLL_SECONDS: Int(60, 1, 86_400, "longest a Parquet cut stays open before it is uploaded"),
  REELTIME_ARCHIVER_ROLL_ROWS: Int(200_000, 100, 10_000_000, "rows per bus partition that close a Parquet cut"),
  REELTIME_VIEW_TIMEOUT_MINUTES: Int(60, 1, 1440, "a view with no event for this long ends (end_reason timeout)"),
  REELTIME_CHECKPOINT_MS: Int(2000, 50, 600_000, "how often the sessionizer and job tracker checkpoint their state"),
  HOST: Type.String({ default: "127.0.0.1", description: "address /metrics and /healthz bind to (0.0.0.0 in a pod)" }),
});

export function tuningFromEnv(source: NodeJS.ProcessEnv = process.env): ProcessorTuning {
  const e = loadEnv(ProcessorEnv, source);
  return {
    indexer: { maxDelayMs: e.REELTIME_INDEXER_FLUSH_MS },
    archiver: { maxAgeMs: e.REELTIME_ARCHIVER_ROLL_SECONDS * 1000, maxRows: e.REELTIME_ARCHIVER_ROLL_ROWS },
    viewTimeoutMs: e.REELTIME_VIEW_TIMEOUT_MINUTES * 60_000,
    snapshotEveryMs: e.REELTIME_CHECKPOINT_MS,
  };
}

/** `reeltime process`: connections from env, /metrics on its own port, graceful shutdown. */
export async function runProcessService(opts: { only?: string; metricsPort?: number; env?: NodeJS.ProcessEnv } = {}) {
  const env = loadEnv(ConnectionEnv, opts.env ?? process.env);
  const only = parseOnly(opts.only);
  const log = createLogger("stream-processors");
  const registry = createRegistry("stream-processors");
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  const archive = await createArchive(env);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })));
  await search.start();
  await search.init();
  await archive.start();
  const handle = await startProcessors(
    { bus, search, archive, log, registry },
    only,
    tuningFromEnv(opts.env ?? process.env),
  );
  const port = opts.metricsPort ?? 9464;
  const host = loadEnv(ProcessorEnv, opts.env ?? process.env).HOST;
  const ops = await startOpsServer({
    registry,
    host,
    port,
    setting: "--metrics-port",
  });
  log.info({ processors: only, metrics: `http://${host}:${port}/metrics`, bus: bus.driver }, "processors running");
  return {
    async close() {
      await ops.close();
      await handle.stop();
      await bus.shutdown();
      await search.shutdown();
      await archive.shutdown();
    },
  };
}
