import type { ConsumedBatch } from "@reeltime/connectors";
import { Indexer, type Processor } from "@reeltime/stream-processors";
import { RUN_ID } from "./services.ts";

/** The real Indexer under this run's own consumer group (its topics are prefixed by the bus). */
export function benchIndexer(
  deps: ConstructorParameters<typeof Indexer>[0],
  options?: ConstructorParameters<typeof Indexer>[1],
  onBatch?: (batch: ConsumedBatch) => void,
): Processor {
  const inner = new Indexer(deps, options);
  return {
    name: inner.name,
    group: `bench-indexer-${RUN_ID}`,
    topics: inner.topics,
    commit: inner.commit,
    maxBatchSize: inner.maxBatchSize,
    tickMs: inner.tickMs,
    handle: (batch, commit) => {
      onBatch?.(batch);
      return inner.handle(batch, commit);
    },
    tick: (commit) => inner.tick(commit),
    flush: (commit) => inner.flush(commit),
  };
}
