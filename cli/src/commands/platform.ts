import type { Command } from "commander";
import { metricsPortOption } from "./options.ts";

/**
 * The platform's consumer groups beside the stream processors: `reeltime catalogue` (the
 * catalogue updater) and `reeltime notifier` (webhooks and emails). Each serves /healthz,
 * /readyz and /metrics on --metrics-port and runs until SIGTERM/SIGINT; replicas split the
 * partitions of their group.
 */
export function registerPlatform(program: Command): void {
  program
    .command("catalogue")
    .description("run the catalogue updater: upload.* and job.* events into the videos table (PostgreSQL)")
    .option("--metrics-port <port>", "port of /healthz, /readyz and /metrics (0 picks one)", metricsPortOption, 9467)
    .addHelpText(
      "after",
      "\nConfigured by environment: REELTIME_PG_URL (unset: PGlite under REELTIME_DATA_DIR), REELTIME_BUS,\n" +
        "REELTIME_SEARCH, REELTIME_ARCHIVE (the video records as Parquet under records/videos/) and their\n" +
        "connection settings. The read API (GET /v1/videos) is served by `reeltime ingest`.",
    )
    .action(async (opts: { metricsPort: number }) => {
      const [
        { startCatalogueUpdater },
        { createArchive, createBus, createSearchStore },
        runtime,
        { TOPICS },
        { createVideoRecordArchive, ParquetWriter },
      ] = await Promise.all([
        import("@reeltime/catalogue"),
        import("@reeltime/connectors"),
        import("@reeltime/runtime"),
        import("@reeltime/events"),
        import("@reeltime/stream-processors"),
      ]);
      const { ConnectionEnv, createLogger, createRegistry, loadEnv, onShutdown, startOpsServer } = runtime;
      const env = loadEnv(ConnectionEnv);
      const log = createLogger("catalogue");
      const registry = createRegistry("catalogue");
      const bus = await createBus(env);
      const search = await createSearchStore(env);
      const archive = await createArchive(env);
      await bus.start();
      await search.start();
      await search.init();
      await archive.start();
      await bus.ensureTopics(
        [TOPICS.upload, TOPICS.job, TOPICS.deadLetter].map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })),
      );
      // The public video records go to the archive too, for the analysts' joins to the views.
      const writer = new ParquetWriter();
      const updater = await startCatalogueUpdater({
        bus,
        search,
        archive: createVideoRecordArchive({ archive, writer }),
        log,
        registry,
      });
      const ops = await startOpsServer({
        registry,
        host: process.env.HOST ?? "127.0.0.1",
        port: opts.metricsPort,
        setting: "--metrics-port",
      });
      log.info(
        { bus: bus.driver, database: updater.db.kind, metrics: `${ops.url}/metrics` },
        "catalogue updater running",
      );
      onShutdown(log, async () => {
        await ops.close();
        await updater.stop();
        await writer.close();
        await bus.shutdown();
        await search.shutdown();
        await archive.shutdown();
      });
      await new Promise(() => undefined);
    });

  program
    .command("notifier")
    .description("run the notifier: signed webhooks and owner emails when a video is ready or failed")
    .option("--metrics-port <port>", "port of /healthz, /readyz and /metrics (0 picks one)", metricsPortOption, 9466)
    .addHelpText(
      "after",
      "\nConfigured by environment: REELTIME_PG_URL (unset: PGlite under REELTIME_DATA_DIR), REELTIME_SMTP_URL,\n" +
        "REELTIME_SMTP_FROM, REELTIME_WEBHOOK_RETRY_HOURS, REELTIME_BUS and its connection settings.\n" +
        "Webhook endpoints are registered through `reeltime ingest` (POST /v1/webhooks/endpoints, read token).",
    )
    .action(async (opts: { metricsPort: number }) => {
      const [{ runNotifierService }, { createLogger, onShutdown }] = await Promise.all([
        import("@reeltime/notifier"),
        import("@reeltime/runtime"),
      ]);
      const service = await runNotifierService({
        metricsPort: opts.metricsPort,
        host: process.env.HOST ?? "127.0.0.1",
      });
      onShutdown(createLogger("notifier"), () => service.close());
      await new Promise(() => undefined);
    });
}
