import type { Archive, Bus, QueryEngine, SearchStore } from "@reeltime/ports";
import { ConnectionEnv, loadEnv, ReeltimeError } from "@reeltime/runtime";

// Each adapter lives in its own folder and is imported only when its driver is chosen, so a
// process that runs on the embedded default never loads kafkajs, the AWS SDK or the ES client.

function notYet(port: string, driver: string): never {
  throw new ReeltimeError("REELTIME_ERR_CONFIG", `the ${port} driver "${driver}" is not available in this build`);
}

/** The bus chosen by REELTIME_BUS (embedded | kafka | kinesis). */
export async function createBus(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<Bus> {
  switch (env.REELTIME_BUS) {
    case "embedded":
      return (await import("./bus/embedded/index.ts")).createEmbeddedBus(env);
    case "kafka":
      return (await import("./bus/kafka/index.ts")).createKafkaBus(env);
    case "kinesis":
      return (await import("./bus/kinesis/index.ts")).createKinesisBus(env);
    default:
      return notYet("bus", env.REELTIME_BUS);
  }
}

/** The search store chosen by REELTIME_SEARCH (embedded | elasticsearch). */
export async function createSearchStore(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<SearchStore> {
  switch (env.REELTIME_SEARCH) {
    case "embedded":
      return (await import("./search/embedded/index.ts")).createEmbeddedSearchStore(env);
    case "elasticsearch":
      return (await import("./search/elasticsearch/index.ts")).createElasticsearchStore(env);
    default:
      return notYet("search", env.REELTIME_SEARCH);
  }
}

/** The archive chosen by REELTIME_ARCHIVE (fs | s3). */
export async function createArchive(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<Archive> {
  switch (env.REELTIME_ARCHIVE) {
    case "fs":
      return (await import("./archive/fs/index.ts")).createFsArchive(env);
    case "s3":
      return (await import("./archive/s3/index.ts")).createS3Archive(env);
    default:
      return notYet("archive", env.REELTIME_ARCHIVE);
  }
}

/** The SQL engine chosen by REELTIME_QUERY (duckdb | athena), reading from `archive`. */
export async function createQueryEngine(
  archive: Archive,
  env: ConnectionEnv = loadEnv(ConnectionEnv),
): Promise<QueryEngine> {
  switch (env.REELTIME_QUERY) {
    case "duckdb":
      return (await import("./query/duckdb/index.ts")).createDuckDbEngine(env, archive);
    case "athena":
      // Athena reads the bucket itself through the Glue tables; the archive is not needed.
      return (await import("./query/athena/index.ts")).createAthenaEngine(env);
    default:
      return notYet("query", env.REELTIME_QUERY);
  }
}
