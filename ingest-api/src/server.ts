import { createArchive, createBus, createSearchStore } from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, listenError, loadEnv, onShutdown } from "@reeltime/runtime";
import { buildApp } from "./app.ts";
import { type IngestConfig, loadIngestConfig } from "./config.ts";
import type { ReadMount } from "./context.ts";

/**
 * Starts the ingest API with the configured bus and search store, and the archive the live
 * viewers figures are read from (GET /v1/live/viewers); stops cleanly on SIGTERM.
 */
export async function startIngest(
  opts: {
    config?: IngestConfig;
    env?: NodeJS.ProcessEnv;
    /** Read-guarded routes the host adds (the catalogue's, the notifier's endpoints). */
    readMounts?: readonly ReadMount[];
    /** Called after the server and connections closed (the host closes what it opened). */
    onClose?: () => Promise<void>;
  } = {},
) {
  const source = opts.env ?? process.env;
  const config = opts.config ?? loadIngestConfig(source);
  const connections = loadEnv(ConnectionEnv, source);
  const logger = createLogger("ingest-api");
  const bus = await createBus(connections);
  const search = await createSearchStore(connections);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: connections.REELTIME_PARTITIONS })));
  await search.start();
  // Read only, and only under _live/viewers/ (the deploy role allows no more): not started, as
  // opening an S3 bucket asks for the bucket itself; ingest starts and takes events whether the
  // archive is reachable or not, and GET /v1/live/viewers answers 503 while it is not.
  const archive = await createArchive(connections);
  const app = await buildApp({
    config,
    bus,
    search,
    logger,
    liveViewers: { archive },
    ...(opts.readMounts ? { readMounts: opts.readMounts } : {}),
  });
  let address: string;
  try {
    address = await app.listen({ port: config.env.PORT, host: config.env.HOST });
  } catch (err) {
    await app.close();
    await bus.shutdown();
    await search.shutdown();
    await archive.shutdown();
    throw listenError(err, { host: config.env.HOST, port: config.env.PORT, setting: "PORT" });
  }
  logger.info({ address, bus: bus.driver, search: search.driver }, "ingest API listening");
  const close = async () => {
    await app.close(); // stop accepting, finish in-flight requests, flush api records
    await bus.shutdown(); // flush the producer
    await search.shutdown();
    await archive.shutdown();
    await opts.onClose?.();
  };
  onShutdown(logger, close);
  return { app, address, close };
}
