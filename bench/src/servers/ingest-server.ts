// A server process for the HTTP benchmarks, so the load generator never shares its event loop:
//   node ingest-server.ts reeltime  — buildApp on the real Kafka bus (per-run topics), or on the
//                                     embedded bus alone with REELTIME_BENCH_BUS=embedded
//                                     (REELTIME_BUS_RECORD_FORMAT as ingest reads it)
//   node ingest-server.ts bare      — a bare Fastify route that only parses the same bodies
//   node ingest-server.ts embedded  — the embedded default in one process, as `reeltime dev` builds it
// Prints one JSON line {"bench":"listening",port,...} when listening; GET /bench/lag reports the indexer's lag (embedded),
// GET /bench/cpu the CPU time the process used so far.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus, createSearchStore, type SearchStore } from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { startProcessors } from "@reeltime/stream-processors";
import Fastify, { type FastifyInstance } from "fastify";
import { isolatedKafkaBus } from "../services.ts";
import { READ_TOKEN, WRITE_KEY } from "./keys.ts";

const mode = process.argv[2] ?? "reeltime";
const app = process.argv[3] ?? "bench";
const logger = createLogger("bench-ingest", { level: "silent" });

function ingestConfig() {
  return loadIngestConfig({
    PORT: "0",
    REELTIME_WRITE_KEYS: `${app}:${WRITE_KEY}`,
    REELTIME_READ_TOKENS: `${app}:${READ_TOKEN}`,
    REELTIME_RATE_LIMIT_PER_KEY: "10000000",
    REELTIME_RATE_LIMIT_PER_IP: "10000000",
    REELTIME_BUS_RECORD_FORMAT: process.env.REELTIME_BUS_RECORD_FORMAT ?? "batch-v1",
    REELTIME_INGEST_WORKERS: process.env.REELTIME_INGEST_WORKERS ?? "0",
  });
}

async function bare(): Promise<{ server: FastifyInstance; close: () => Promise<void> }> {
  const server = Fastify({ bodyLimit: 1_048_576 });
  server.post("/v1/events", async (req, reply) => {
    const events = req.body as unknown[];
    return reply.code(202).send({ accepted: events.length });
  });
  return { server, close: () => server.close() };
}

/** The embedded bus alone in a temp dir (no processor reads it), with the contract's topics. */
async function embeddedBus(dir: string) {
  const bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 4 })));
  return bus;
}

async function reeltime() {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-bench-"));
  const bus = process.env.REELTIME_BENCH_BUS === "embedded" ? await embeddedBus(dir) : await isolatedKafkaBus("ingest");
  // Writes never touch the search store: the embedded one keeps Elasticsearch out of this benchmark.
  const search = await createSearchStore(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await search.start();
  const server = await buildApp({ config: ingestConfig(), bus, search, logger });
  return {
    server,
    ...("prefix" in bus ? { prefix: bus.prefix } : {}),
    close: async () => {
      await server.close();
      await bus.shutdown();
      await search.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What `reeltime dev` starts (embedded bus, search, fs archive, every processor), without the transcode. */
async function embedded() {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-bench-dev-"));
  const conn = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  const bus = await createBus(conn);
  const search: SearchStore = await createSearchStore(conn);
  const archive = await createArchive(conn);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 2 })));
  await search.start();
  await search.init();
  await archive.start();
  const server = await buildApp({ config: ingestConfig(), bus, search, logger });
  const processors = await startProcessors(
    { bus, search, archive, log: logger, registry: createRegistry("bench") },
    undefined,
    { indexer: { maxDelayMs: 200 }, archiver: { maxAgeMs: 30_000 } },
  );
  server.get("/bench/lag", async () => {
    const lags: Record<string, number> = {};
    for (const r of processors.running) lags[r.processor.name] = (await r.lag()).reduce((s, l) => s + l.lag, 0);
    return lags;
  });
  return {
    server,
    close: async () => {
      await server.close();
      await processors.stop();
      await bus.shutdown();
      await search.shutdown();
      await archive.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const built = mode === "bare" ? await bare() : mode === "embedded" ? await embedded() : await reeltime();
// CPU time this process used so far (user + system, µs): per-event CPU holds up on a busy machine
// far better than a rate does.
built.server.get("/bench/cpu", async () => {
  const u = process.cpuUsage();
  return { micros: u.user + u.system };
});
const address = await built.server.listen({ port: 0, host: "127.0.0.1" });
const prefix = "prefix" in built ? built.prefix : undefined;
process.stdout.write(
  `${JSON.stringify({ bench: "listening", port: Number(new URL(address).port), mode, app, prefix })}\n`,
);
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await built.close().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
