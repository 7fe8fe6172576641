import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createQueryEngine,
  createSearchStore,
  type QueryEngine,
} from "@reeltime/connectors";
import { ALL_TOPICS, type ReeltimeEvent } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { startProcessors } from "@reeltime/stream-processors";
import { ParquetMerger } from "../src/compact/merge.ts";
import { visibleArchive } from "../src/compact/visible.ts";
import { publishAll } from "./fixtures.ts";

const log = createLogger("analytics-test", { level: process.env.LOG_LEVEL ?? "silent" });

export interface Harness {
  dir: string;
  env: ConnectionEnv;
  bus: Bus;
  archive: Archive;
  engine: QueryEngine;
  /** Rows in every Parquet file under a prefix (what readers of the raw archive would count). */
  rows(prefix: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Publishes `events` on the embedded bus and runs the REAL archiver and record archivers over
 * them until the archive holds `expect` rows per prefix; then a DuckDB engine reads it.
 */
export async function archiveWithProcessors(
  events: ReeltimeEvent[],
  expect: Record<string, number>,
  envOverrides: Record<string, string> = {},
  archiver: { maxRows?: number } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-analytics-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, ...envOverrides });
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  const archive = await createArchive(env);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 2 })));
  await archive.start();
  const merger = new ParquetMerger();
  const rows = async (prefix: string) => {
    const files = (await archive.list(prefix)).filter((o) => o.key.endsWith(".parquet"));
    return (await merger.fingerprint(await Promise.all(files.map((o) => archive.get(o.key))))).rows;
  };
  await publishAll(bus, events);
  const running = await startProcessors(
    { bus, search, archive, log, registry: createRegistry("analytics-test") },
    ["archiver", "view-archiver", "job-archiver"],
    { archiver: { maxAgeMs: 200, ...archiver }, viewTimeoutMs: 1500, snapshotEveryMs: 100, lagIntervalMs: 200 },
  );
  try {
    const until = Date.now() + 60_000;
    for (;;) {
      const counts = await Promise.all(Object.keys(expect).map(rows));
      if (Object.values(expect).every((n, i) => counts[i] === n)) break;
      if (Date.now() > until) throw new Error(`archive never reached ${JSON.stringify(expect)}: ${counts}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await running.stop();
  }
  const engine = await createQueryEngine(visibleArchive(archive), env);
  await engine.start();
  return {
    dir,
    env,
    bus,
    archive,
    engine,
    rows,
    async close() {
      await engine.shutdown();
      await merger.close();
      await bus.shutdown();
      await search.shutdown();
      await archive.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
