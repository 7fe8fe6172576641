import type { Bus } from "@reeltime/connectors";
import { type Database, openDatabase } from "@reeltime/database";
import { type ProcessorMetrics, processorMetrics, type RunningProcessor, runProcessor } from "@reeltime/processing";
import { createRegistry, type Logger, type Registry } from "@reeltime/runtime";
import { CatalogueUpdater, migrateCatalogue, type VideoIndex, type VideoRecordArchive } from "./updater.ts";

/**
 * Opens the database the environment names (`@reeltime/database`: PGlite by default,
 * `REELTIME_PG_URL` for PostgreSQL) with the catalogue's migrations applied; closed again when a
 * migration fails. For the updater and for a host mounting the read routes.
 */
export async function openCatalogueDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const db = await openDatabase(env);
  try {
    await migrateCatalogue(db);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

export interface CatalogueServiceDeps {
  bus: Bus;
  /** The search store (its videos index): a SearchStore fits. */
  search: VideoIndex;
  /** Where the public video records are archived for analytics; absent: not archived. */
  archive?: VideoRecordArchive;
  log: Logger;
  /** The processor metrics when other processors share the registry; else made on `registry`. */
  metrics?: ProcessorMetrics;
  registry?: Registry;
  /** A database to use (tests, a host that has one open); else opened from `env` and closed on stop. */
  db?: Database;
  env?: NodeJS.ProcessEnv;
  lagIntervalMs?: number;
}

/**
 * Starts the catalogue updater: migrations, then the consumer group `reeltime-catalogue` on the
 * processor runtime. `stop()` flushes, leaves the group and closes the database it opened.
 */
export async function startCatalogueUpdater(
  deps: CatalogueServiceDeps,
): Promise<{ running: RunningProcessor; db: Database; stop(): Promise<void> }> {
  const owned = deps.db === undefined;
  const db = deps.db ?? (await openCatalogueDatabase(deps.env));
  try {
    if (!owned) await migrateCatalogue(db);
    const metrics = deps.metrics ?? processorMetrics(deps.registry ?? createRegistry("catalogue"));
    const updater = new CatalogueUpdater({
      db,
      bus: deps.bus,
      search: deps.search,
      ...(deps.archive ? { archive: deps.archive } : {}),
    });
    const running = await runProcessor(updater, {
      bus: deps.bus,
      log: deps.log,
      metrics,
      ...(deps.lagIntervalMs !== undefined ? { lagIntervalMs: deps.lagIntervalMs } : {}),
    });
    return {
      running,
      db,
      async stop() {
        await running.stop();
        if (owned) await db.close();
      },
    };
  } catch (err) {
    if (owned) await db.close().catch(() => undefined);
    throw err;
  }
}
