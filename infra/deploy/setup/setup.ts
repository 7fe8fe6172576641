import { createBus, createSearchStore } from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";

/**
 * What the Helm upgrade hook runs before new pods start: creates the topics/streams that are
 * missing and installs the index templates, ILM policy and record indices, through the same
 * `ensureTopics` and `init` the processes call at start. Idempotent; exits 0 when all is in place.
 */
export async function setup(source: NodeJS.ProcessEnv = process.env): Promise<void> {
  const env = loadEnv(ConnectionEnv, source);
  const log = createLogger("setup");
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  try {
    await bus.start();
    await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })));
    log.info({ bus: bus.driver, topics: ALL_TOPICS, partitions: env.REELTIME_PARTITIONS }, "topics in place");
    await search.start();
    await search.init();
    log.info({ search: search.driver }, "index templates in place");
  } finally {
    await bus.shutdown();
    await search.shutdown();
  }
}

if (import.meta.main) await setup();
