import type { Archive, Bus, QueryEngine, SearchStore } from "@reeltime/ports";
import { ConnectionEnv, loadEnv, ReeltimeError } from "@reeltime/runtime";

// The embedded bus and search store and the fs archive live in this package and need no SDK.
// Every other adapter is a package of its own that brings its SDK (OpenTelemetry's API/SDK
// split), imported by name only when its driver is chosen: a process on the embedded default
// never loads kafkajs, the AWS SDK or the ES client, and an installation holds only the adapter
// packages its apps declare.

function notYet(port: string, driver: string): never {
  throw new ReeltimeError("REELTIME_ERR_CONFIG", `the ${port} driver "${driver}" is not available in this build`);
}

/** Imports a module by specifier; tests pass one that fails to stand for a missing package. */
export type Importer = (specifier: string) => Promise<unknown>;

// The specifier is a variable on purpose: connectors does not depend on its adapter packages
// (they depend on it), so neither TypeScript nor the layering check follows this import.
const importModule: Importer = (specifier) => import(specifier);

/**
 * Imports the adapter package `pkg` that `setting=driver` chose. A package this installation
 * does not have is REELTIME_ERR_NOT_INSTALLED, in one line naming it. Any other failure is left
 * as it is: a package that is there but cannot load what it imports is a broken install.
 */
export async function loadAdapter<T>(
  setting: string,
  driver: string,
  pkg: string,
  importer: Importer = importModule,
): Promise<T> {
  try {
    return (await importer(pkg)) as T;
  } catch (err) {
    const missing =
      (err as NodeJS.ErrnoException | null)?.code === "ERR_MODULE_NOT_FOUND" &&
      String((err as Error).message).includes(`Cannot find package '${pkg}'`);
    if (!missing) throw err;
    throw new ReeltimeError(
      "REELTIME_ERR_NOT_INSTALLED",
      `${setting}=${driver} needs ${pkg}, which this installation does not have: add ${pkg} to the dependencies of the app that runs here and install again, or choose another ${setting}`,
      { cause: err },
    );
  }
}

/** The bus chosen by REELTIME_BUS (embedded | kafka | kinesis), on Kafka with the client REELTIME_KAFKA_DRIVER names. */
export async function createBus(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<Bus> {
  switch (env.REELTIME_BUS) {
    case "embedded":
      return (await import("./bus/embedded/index.ts")).createEmbeddedBus(env);
    case "kafka": {
      // Two Kafka clients behind one driver name: REELTIME_KAFKA_DRIVER picks the package.
      if (env.REELTIME_KAFKA_DRIVER === "platformatic") {
        const kafka = await loadAdapter<{ createPlatformaticKafkaBus(env: ConnectionEnv): Bus }>(
          "REELTIME_KAFKA_DRIVER",
          "platformatic",
          "@reeltime/bus-kafka-platformatic",
        );
        return kafka.createPlatformaticKafkaBus(env);
      }
      const kafka = await loadAdapter<{ createKafkaBus(env: ConnectionEnv): Bus }>(
        "REELTIME_BUS",
        "kafka",
        "@reeltime/bus-kafka",
      );
      return kafka.createKafkaBus(env);
    }
    case "kinesis": {
      const kinesis = await loadAdapter<{ createKinesisBus(env: ConnectionEnv): Bus }>(
        "REELTIME_BUS",
        "kinesis",
        "@reeltime/bus-kinesis",
      );
      return kinesis.createKinesisBus(env);
    }
    default:
      return notYet("bus", env.REELTIME_BUS);
  }
}

/** The search store chosen by REELTIME_SEARCH (embedded | elasticsearch). */
export async function createSearchStore(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<SearchStore> {
  switch (env.REELTIME_SEARCH) {
    case "embedded":
      return (await import("./search/embedded/index.ts")).createEmbeddedSearchStore(env);
    case "elasticsearch": {
      const es = await loadAdapter<{ createElasticsearchStore(env: ConnectionEnv): SearchStore }>(
        "REELTIME_SEARCH",
        "elasticsearch",
        "@reeltime/search-elasticsearch",
      );
      return es.createElasticsearchStore(env);
    }
    default:
      return notYet("search", env.REELTIME_SEARCH);
  }
}

/** The archive chosen by REELTIME_ARCHIVE (fs | s3). */
export async function createArchive(env: ConnectionEnv = loadEnv(ConnectionEnv)): Promise<Archive> {
  switch (env.REELTIME_ARCHIVE) {
    case "fs":
      return (await import("./archive/fs/index.ts")).createFsArchive(env);
    case "s3": {
      const s3 = await loadAdapter<{ createS3Archive(env: ConnectionEnv): Archive }>(
        "REELTIME_ARCHIVE",
        "s3",
        "@reeltime/archive-s3",
      );
      return s3.createS3Archive(env);
    }
    default:
      return notYet("archive", env.REELTIME_ARCHIVE);
  }
}

/** The SQL engine chosen by REELTIME_QUERY (duckdb | athena | trino), reading from `archive`. */
export async function createQueryEngine(
  archive: Archive,
  env: ConnectionEnv = loadEnv(ConnectionEnv),
): Promise<QueryEngine> {
  switch (env.REELTIME_QUERY) {
    case "duckdb": {
      const duckdb = await loadAdapter<{ createDuckDbEngine(env: ConnectionEnv, archive: Archive): QueryEngine }>(
        "REELTIME_QUERY",
        "duckdb",
        "@reeltime/query-duckdb",
      );
      return duckdb.createDuckDbEngine(env, archive);
    }
    case "athena": {
      // Athena reads the bucket itself through the Glue tables; the archive is not needed.
      const athena = await loadAdapter<{ createAthenaEngine(env: ConnectionEnv): QueryEngine }>(
        "REELTIME_QUERY",
        "athena",
        "@reeltime/query-athena",
      );
      return athena.createAthenaEngine(env);
    }
    case "trino": {
      // Trino reads the bucket itself through its Hive catalog's tables, as Athena does.
      const trino = await loadAdapter<{ createTrinoEngine(env: ConnectionEnv): QueryEngine }>(
        "REELTIME_QUERY",
        "trino",
        "@reeltime/query-trino",
      );
      return trino.createTrinoEngine(env);
    }
    default:
      return notYet("query", env.REELTIME_QUERY);
  }
}
