import type { Bus, ConsumedBatch, PartitionLag, Position, Subscription } from "@reeltime/connectors";
import {
  Counter,
  Gauge,
  Histogram,
  inSpan,
  LATENCY_BUCKETS,
  type Logger,
  type Registry,
  type Tracer,
  tracer,
} from "@reeltime/runtime";
import { batchSpan } from "./batch-span.ts";
import { backoffMs, classifyFailure, poisoned } from "./failures.ts";
import { busPositions, splitBatch } from "./messages.ts";

/**
 * What a processor may commit: through these positions, once its work up to them is durable.
 * `hold` is this instance's current hold on a partition (Subscription.hold): state a processor
 * keeps for a partition belongs to the hold it was built in. When the hold changed or ended,
 * another instance may have processed the partition since: the state must be dropped, never
 * written out, and rebuilt from the last commit.
 */
export type Committer = ((positions: Position[]) => Promise<void>) & {
  hold(topic: string, partition: string): number | undefined;
  /** Has the bus deliver the partition again from its last commit, under a new hold (Subscription.reread). */
  reread(topic: string, partition: string): Promise<void>;
};

/** A batch delivered under a hold that ended while it waited for its turn; the bus delivers it again. */
export class StaleBatchError extends Error {
  constructor(topic: string, partition: string) {
    super(`${topic}/${partition} changed hands while the batch waited; it is read again from the last commit`);
    this.name = "StaleBatchError";
  }
}

/**
 * One stream processor: its own consumer group on the bus. `handle` gets one partition's
 * batch in order. With `commit: "after-handler"` the batch is committed when handle resolves;
 * with `manual` the processor commits itself (after an upload, a flush) through `commit`.
 * A handler that fails for a transient reason (see classifyFailure) gets the same batch again
 * after a backoff: nothing is skipped. One that fails because of a message's content has the
 * batch's messages handled one by one; each message that fails alone for its content is handed
 * to the processor again marked as poison (`decode` returns undefined for it, its dead letter
 * carries the failure), so the processor dead-letters it and commits past it like any message
 * it cannot read.
 */
export interface Processor {
  readonly name: string;
  readonly group: string;
  readonly topics: string[];
  readonly commit: "after-handler" | "manual";
  /** Bus records per batch at most; a batch record holds several events, each a message of its own in `handle`. */
  readonly maxBatchSize?: number;
  /**
   * One partition's events in order, one message per event: batch records (see splitRecord in
   * @reeltime/connectors) arrive split, their events numbered `<offset>#<index>/<count>`. Commit
   * any of these offsets: the runtime commits the bus through whole records only.
   */
  handle(batch: ConsumedBatch, commit: Committer): Promise<void>;
  /** Periodic work (time-based flushes, timeouts); called every `tickMs`. */
  tick?(commit: Committer): Promise<void>;
  readonly tickMs?: number;
  /** Writes out what is buffered and commits it (shutdown, tests). */
  flush?(commit: Committer): Promise<void>;
}

export interface RunningProcessor {
  readonly processor: Processor;
  lag(): Promise<PartitionLag[]>;
  /** Stops consuming, flushes and commits what is durable, leaves the group. */
  stop(): Promise<void>;
  /**
   * Drops everything like a killed process would: no flush, no further commit, buffers lost.
   * For fault tests in one process; a real crash needs no call.
   */
  abandon(): Promise<void>;
  subscription: Subscription;
}

/** Metrics shared by every processor (label `processor` is one of a handful of names). */
export function processorMetrics(registry: Registry) {
  return {
    messages: new Counter({
      name: "reeltime_processor_messages_total",
      help: "Messages handled by each processor",
      labelNames: ["processor"],
      registers: [registry],
    }),
    failures: new Counter({
      name: "reeltime_processor_batch_failures_total",
      help: "Batches whose handler failed for a transient reason (they are delivered again)",
      labelNames: ["processor"],
      registers: [registry],
    }),
    poisoned: new Counter({
      name: "reeltime_processor_poison_messages_total",
      help: "Messages whose handling failed because of their content (sent to dead letters, the partition moved on)",
      labelNames: ["processor"],
      registers: [registry],
    }),
    tickFailures: new Counter({
      name: "reeltime_processor_tick_failures_total",
      help: "Periodic flushes that failed (tried again after a backoff)",
      labelNames: ["processor"],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "reeltime_processor_batch_duration_seconds",
      help: "Time to handle one batch",
      labelNames: ["processor"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    lag: new Gauge({
      name: "reeltime_consumer_lag_messages",
      help: "Messages not yet committed by the group, per partition",
      labelNames: ["group", "topic", "partition"],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: "reeltime_processor_dead_letters_total",
      help: "Messages sent to the dead-letter stream, by processor and reason",
      labelNames: ["processor", "reason"],
      registers: [registry],
    }),
    stalled: new Gauge({
      name: "reeltime_processor_partition_stalled",
      help: "1 while a partition has lag above 0 and its processor made no progress on it for the stall time",
      labelNames: ["processor", "topic", "partition"],
      registers: [registry],
    }),
  };
}
export type ProcessorMetrics = ReturnType<typeof processorMetrics>;

/** Subscribes a processor to the bus and keeps its lag gauge and tick running until stopped. */
export async function runProcessor(
  processor: Processor,
  deps: {
    bus: Bus;
    log: Logger;
    metrics: ProcessorMetrics;
    lagIntervalMs?: number;
    /** A batch or tick running this long is named in the log (default 60 s; again each multiple). */
    stuckAfterMs?: number;
    /** A partition with lag and no progress for this long counts as stalled (default 60 s). */
    stallAfterMs?: number;
    /** Where batch spans go (default: the global tracer, a no-op unless the SDK was started). */
    tracer?: Tracer;
  },
): Promise<RunningProcessor> {
  const { bus, log, metrics } = deps;
  const labels = { processor: processor.name };
  const stallAfterMs = deps.stallAfterMs ?? 60_000;
  const spans = deps.tracer ?? tracer("@reeltime/stream-processors");
  // Last time each partition made progress: a batch handled or a commit through it.
  const progress = new Map<string, number>();
  const progressed = (topic: string, partition: string) => progress.set(`${topic}\u0000${partition}`, Date.now());
  let subscription: Subscription | undefined;
  // One batch at a time per processor: processors keep buffers and state across partitions.
  let queue: Promise<unknown> = Promise.resolve();
  // What runs now, so a call that never returns (a store that keeps a request open) is named
  // in the log instead of showing only as lag that stopped moving.
  let busy: { what: string; since: number; warned: number } | undefined;
  const serial = <T>(work: () => Promise<T>, what: string): Promise<T> => {
    const timed = async () => {
      busy = { what, since: Date.now(), warned: 0 };
      try {
        return await work();
      } finally {
        busy = undefined;
      }
    };
    const run = queue.then(timed, timed);
    queue = run.catch(() => undefined);
    return run;
  };
  const stuckAfterMs = deps.stuckAfterMs ?? 60_000;
  const watchdog = setInterval(
    () => {
      if (!busy || Date.now() - busy.since < stuckAfterMs * (busy.warned + 1)) return;
      busy.warned++;
      log.warn(
        { running: busy.what, seconds: Math.round((Date.now() - busy.since) / 1000) },
        `${processor.name}: a ${busy.what} has not returned for ${Math.round((Date.now() - busy.since) / 1000)} s; nothing else of this processor runs meanwhile`,
      );
    },
    Math.min(stuckAfterMs, 10_000),
  );
  watchdog.unref();
  let dead = false;
  const commit: Committer = Object.assign(
    async (positions: Position[]) => {
      if (dead) throw new Error(`${processor.name} was abandoned`);
      const onBus = busPositions(positions);
      if (onBus.length > 0) await subscription!.commit(onBus);
      for (const p of positions) progressed(p.topic, p.partition);
    },
    {
      hold: (topic: string, partition: string) => (dead ? undefined : subscription?.hold(topic, partition)),
      reread: async (topic: string, partition: string) => {
        if (!dead) await subscription?.reread(topic, partition);
      },
    },
  );
  /**
   * The batch failed because of some message's content: each message is handled alone, and one
   * that fails alone for its content is handed over again as poison, which the processor
   * dead-letters. A transient failure on the way throws: the whole batch comes again (processors
   * skip what they already hold from an earlier delivery).
   */
  const isolate = async (batch: ConsumedBatch, first: unknown) => {
    for (const m of batch.messages) {
      try {
        await processor.handle({ ...batch, messages: [m] }, commit);
      } catch (err) {
        if (err instanceof StaleBatchError || classifyFailure(err) !== "content") throw err;
        await processor.handle({ ...batch, messages: [poisoned(m, processor.name, err)] }, commit);
        metrics.poisoned.inc(labels);
        log.warn(
          {
            err: { name: (err as Error).name, message: (err as Error).message.slice(0, 500) },
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
          },
          `${processor.name}: a message failed because of its content; it went to dead letters`,
        );
      }
    }
    log.debug(
      { first: (first as Error).message?.slice(0, 200) },
      `${processor.name}: batch handled message by message`,
    );
  };
  subscription = await bus.consume({
    group: processor.group,
    topics: processor.topics,
    commit: processor.commit,
    ...(processor.maxBatchSize ? { maxBatchSize: processor.maxBatchSize } : {}),
    handler: async (records) => {
      if (dead) throw new Error(`${processor.name} was abandoned`);
      // Processors see one message per event, whichever record format carried it.
      const batch = splitBatch(records);
      const end = metrics.batchSeconds.startTimer(labels);
      const hold = commit.hold(batch.topic, batch.partition);
      await serial(async () => {
        const now = commit.hold(batch.topic, batch.partition);
        if (now === undefined || now !== hold) throw new StaleBatchError(batch.topic, batch.partition);
        const span = batchSpan(processor, bus.driver, batch);
        await inSpan(spans, span.name, span.options, async () => {
          try {
            await processor.handle(batch, commit);
          } catch (err) {
            if (err instanceof StaleBatchError || classifyFailure(err) !== "content") throw err;
            await isolate(batch, err);
          }
        });
      }, `batch of ${batch.topic}/${batch.partition}`);
      end();
      progressed(batch.topic, batch.partition);
      metrics.messages.inc(labels, batch.messages.length);
    },
    onError: (err, batch) => {
      if (err instanceof StaleBatchError) {
        log.info({ topic: batch.topic, partition: batch.partition }, `${processor.name}: ${err.message}`);
        return;
      }
      metrics.failures.inc(labels);
      log.warn(
        {
          err: { message: (err as Error).message, code: (err as { code?: string }).code },
          topic: batch.topic,
          partition: batch.partition,
        },
        `${processor.name}: batch failed, it will be delivered again`,
      );
    },
  });

  // Partitions whose lag this instance reported last time: one it no longer holds (a lease or
  // an assignment moved to another instance) drops out of the gauges instead of showing its
  // last value for ever (the Kinesis drill saw a survivor report 124 for a shard it had lost).
  let reported = new Set<string>();
  const updateLag = async () => {
    try {
      const now = Date.now();
      const seen = new Set<string>();
      for (const l of await subscription!.lag()) {
        metrics.lag.set({ group: processor.group, topic: l.topic, partition: l.partition }, l.lag);
        const key = `${l.topic}\u0000${l.partition}`;
        seen.add(key);
        // No lag is progress enough; lag first seen now starts the clock.
        if (l.lag === 0 || !progress.has(key)) progress.set(key, now);
        const stalled = l.lag > 0 && now - progress.get(key)! >= stallAfterMs;
        metrics.stalled.set({ processor: processor.name, topic: l.topic, partition: l.partition }, stalled ? 1 : 0);
      }
      for (const key of reported)
        if (!seen.has(key)) {
          const [topic, partition] = key.split("\u0000") as [string, string];
          metrics.lag.remove({ group: processor.group, topic, partition });
          metrics.stalled.remove({ processor: processor.name, topic, partition });
          progress.delete(key);
        }
      reported = seen;
    } catch (err) {
      log.debug({ err: { message: (err as Error).message } }, "lag not available");
    }
  };
  const lagTimer = setInterval(() => void updateLag(), deps.lagIntervalMs ?? 5000);
  lagTimer.unref();
  let ticking = Promise.resolve();
  // A failing tick (a store down during a flush) is tried again after a growing backoff, not every tickMs.
  let tickFailures = 0;
  let nextTickAt = 0;
  const tickMs = processor.tickMs ?? 1000;
  const tickTimer = processor.tick
    ? setInterval(() => {
        if (Date.now() < nextTickAt) return;
        ticking = ticking
          .then(() => serial(() => processor.tick!(commit), "tick"))
          .then(
            () => {
              tickFailures = 0;
              nextTickAt = 0;
            },
            (err) => {
              metrics.tickFailures.inc(labels);
              nextTickAt = Date.now() + backoffMs(tickFailures++, tickMs, 30_000);
              log.warn(
                {
                  err: { message: (err as Error).message?.slice(0, 500), code: (err as { code?: string }).code },
                  failures: tickFailures,
                },
                `${processor.name}: tick failed, tried again after a backoff`,
              );
            },
          );
      }, tickMs)
    : undefined;
  tickTimer?.unref();

  let stopped: Promise<void> | undefined;
  return {
    processor,
    subscription,
    lag: () => subscription!.lag(),
    stop() {
      stopped ??= (async () => {
        clearInterval(lagTimer);
        clearInterval(watchdog);
        if (tickTimer) clearInterval(tickTimer);
        await ticking;
        if (processor.flush)
          await serial(() => processor.flush!(commit), "final flush").catch((err) =>
            log.warn({ err }, "final flush failed"),
          );
        await subscription!.stop();
        await updateLag();
      })();
      return stopped;
    },
    async abandon() {
      dead = true;
      clearInterval(lagTimer);
      clearInterval(watchdog);
      if (tickTimer) clearInterval(tickTimer);
      await subscription!.stop().catch(() => undefined);
    },
  };
}
