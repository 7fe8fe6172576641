import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import {
  type Archive,
  type Bus,
  createArchive,
  createBus,
  createQueryEngine,
  createSearchStore,
  type QueryEngine,
  type SearchStore,
} from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { buildApp, ingestMetrics, loadIngestConfig, type ReadMount } from "@reeltime/ingest-api";
import {
  ConnectionEnv,
  createLogger,
  createRegistry,
  ERRORS,
  type Logger,
  listenError,
  loadEnv,
  ReeltimeError,
  type Registry,
} from "@reeltime/runtime";
import {
  createVideoRecordArchive,
  ParquetWriter,
  type ProcessorTuning,
  startProcessors,
} from "@reeltime/stream-processors";
import type { FastifyPluginAsync } from "fastify";

/** The processors' metrics, which the platform's consumer groups in this process share. */
type ProcessorMetrics = Awaited<ReturnType<typeof startProcessors>>["metrics"];

import { type EdgeOptions, type RunningEdge, startEdge } from "./edge.ts";
import { mediaRoutes } from "./media.ts";
import { demoPage } from "./page.ts";
import { ensureSampleVideo } from "./sample.ts";

/** The player SDK workspace, found by package resolution (no path into another workspace). */
const SDK_ROOT = dirname(createRequire(import.meta.url).resolve("@reeltime/player-sdk/package.json"));
const SDK_DIST = join(SDK_ROOT, "dist", "iife");
const ASSETS: Record<string, () => string> = {
  "hls.min.js": () =>
    join(dirname(createRequire(import.meta.url).resolve("hls.js/package.json")), "dist", "hls.min.js"),
  "reeltime.min.js": () => join(SDK_DIST, "reeltime.min.js"),
  "reeltime-hls.min.js": () => join(SDK_DIST, "reeltime-hls.min.js"),
  "reeltime-clicks.min.js": () => join(SDK_DIST, "reeltime-clicks.min.js"),
};

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  /** A video to transcode instead of the generated sample; false skips transcoding. */
  video?: string | false;
  print: (line: string) => void;
  /**
   * Connection settings over the embedded defaults: the same program runs on real Kafka or
   * Kinesis, Elasticsearch and S3 when given REELTIME_BUS, REELTIME_SEARCH, REELTIME_ARCHIVE...
   */
  connections?: Record<string, string>;
  /** Processor tuning (tests roll the archiver every second). */
  tuning?: ProcessorTuning;
  /**
   * Run a pipeline worker on the upload topic, so an upload becomes a transcode (default: on the
   * embedded bus only, whose log is this data dir's; on a shared Kafka or Kinesis it would take
   * other processes' uploads). The hermetic tests leave it out: it runs ffmpeg.
   */
  transcodeUploads?: boolean;
  /**
   * Run a test-source live stream of this name (ffmpeg's live HLS ladder, published into the
   * archive under media/live/<name>/, played by the demo page's `?live=<name>`). Off by default:
   * `reeltime dev` turns it on (`--no-live` off); the hermetic tests leave it out.
   */
  live?: string;
  /**
   * Play the sample through the local edge (issue 21; `reeltime dev --edge`): needs nginx,
   * edge-shipper, SeaweedFS and Kinesis from `reeltime infra up`. The sample's HLS package is
   * published into the media bucket nginx caches, the demo page loads it from the edge with CMCD
   * on (sid = the view id), and the CloudFront real-time log consumer runs in this process, so
   * views gain cdn_* fields. Off by default: the embedded default needs no server.
   */
  edge?: boolean | EdgeOptions;
}

export interface DevHandle {
  url: string;
  bus: Bus;
  search: SearchStore;
  archive: Archive;
  query: QueryEngine;
  writeKey: string;
  readToken: string;
  appId: string;
  videoId?: string;
  /** The live stream's name when one runs (`/media/live/<name>/master.m3u8`). */
  liveName?: string;
  /** The edge's base URL when the demo plays through it (`edge`). */
  edgeUrl?: string;
  close(): Promise<void>;
}

/** The SDK's browser bundles are built on first use (a fresh clone has no dist/). */
function ensureSdkBundles(print: (l: string) => void): void {
  if (existsSync(join(SDK_DIST, "reeltime.min.js"))) return;
  print("building the player SDK bundles (first run)…");
  const r = spawnSync(process.execPath, [join(SDK_ROOT, "scripts", "bundles.ts")], {
    cwd: SDK_ROOT,
    stdio: "inherit",
  });
  if (r.status !== 0)
    throw new ReeltimeError("REELTIME_ERR_BUILD", "the player SDK bundles did not build; see the output above");
}

/**
 * `reeltime dev`: the whole stack in one process on the embedded default — embedded bus,
 * search and filesystem archive, DuckDB, the ingest API with a demo app, every processor, the
 * pipeline on a sample video, the demo page and the live view.
 */
export async function startDev(o: DevOptions): Promise<DevHandle> {
  const { print } = o;
  // A busy port is found before anything starts, so nothing is left running behind the error.
  await assertPortFree(o.host, o.port);
  await mkdir(o.dataDir, { recursive: true });
  const conn = loadEnv(ConnectionEnv, {
    ...process.env,
    REELTIME_DATA_DIR: o.dataDir,
    REELTIME_BUS: "embedded",
    REELTIME_SEARCH: "embedded",
    REELTIME_ARCHIVE: "fs",
    REELTIME_QUERY: "duckdb",
    ...o.connections,
  });
  const log = createLogger("reeltime-dev", { level: process.env.LOG_LEVEL ?? "warn" });
  ensureSdkBundles(print);

  const bus = await createBus(conn);
  const search = await createSearchStore(conn);
  const archive = await createArchive(conn);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 2 })));
  await search.start();
  await search.init();
  await archive.start();
  const query = await createQueryEngine(archive, conn);

  const appId = "demo";
  const writeKey = `wk_dev_${randomBytes(12).toString("hex")}`;
  const readToken = `rt_dev_${randomBytes(12).toString("hex")}`;
  const config = loadIngestConfig({
    PORT: String(o.port),
    HOST: o.host,
    REELTIME_WRITE_KEYS: `${appId}:${writeKey}`,
    REELTIME_READ_TOKENS: `${appId}:${readToken}`,
    REELTIME_CORS_ORIGINS: `${appId}=*`,
    REELTIME_RATE_LIMIT_PER_KEY: "1000000",
    REELTIME_RATE_LIMIT_PER_IP: "1000000",
  });
  // One registry for the whole process: /metrics shows ingest and every processor (lag, batch
  // failures, dead letters, stalled partitions) side by side.
  const registry = createRegistry("reeltime-dev");
  const processors = await startProcessors(
    { bus, search, archive, log, registry },
    undefined,
    o.tuning ?? { indexer: { maxDelayMs: 200 }, archiver: { maxAgeMs: 30_000 } },
  );
  // The platform on the same default: the catalogue updater and the notifier on PGlite under
  // the data dir (or REELTIME_PG_URL), their routes behind the read token; the catalogue's
  // video records are archived beside the views (records/videos/).
  const platform = await startPlatform({
    bus,
    search,
    archive,
    log,
    registry,
    metrics: processors.metrics,
    dataDir: conn.REELTIME_DATA_DIR,
  });
  const app = await buildApp({
    config,
    bus,
    search,
    logger: log,
    metrics: ingestMetrics(registry),
    readMounts: platform.readMounts,
    // The live page's live streams: GET /v1/live/viewers reads the viewers processor's figures
    // in the archive, as ingest does in production.
    liveViewers: { archive },
  });
  // The upload API on the same server: no S3 server here, so it takes the parts itself into the
  // archive (signed part URLs on this origin) and publishes upload.completed on the bus; a
  // pipeline worker of the same process transcodes each upload.
  let address = "";
  const uploads = await startUploads({
    bus,
    archive,
    log,
    registry,
    appId,
    writeKey,
    dataDir: conn.REELTIME_DATA_DIR,
    publicUrl: () => address,
    transcode: o.transcodeUploads ?? conn.REELTIME_BUS === "embedded",
    print,
  });
  await app.register(uploads.routes, { prefix: "/v1" });

  let video: { id: string; title: string } | undefined;
  if (o.video !== false) {
    const sample = await ensureSampleVideo(o.video, o.dataDir, print);
    if (sample) {
      const { TranscodePipeline, videoIdFromName } = await import("@reeltime/pipeline");
      const videoId = videoIdFromName(sample);
      if (await archive.exists(`media/${videoId}/master.m3u8`)) print(`sample already transcoded: ${videoId}`);
      else {
        print(`transcoding ${sample} → media/${videoId}/ …`);
        const pipeline = new TranscodePipeline(
          { bus, archive },
          {
            ladder: ["720p", "480p", "360p", "240p"],
            segmentSeconds: 2,
            appId,
            onEvent: (e) => {
              if (e.event_type === "job.step_completed")
                print(`  ${e.job.step}${e.job.rendition ? ` ${e.job.rendition}` : ""} done`);
            },
          },
        );
        const result = await pipeline.run({ source: sample, videoId, title: "reeltime sample" });
        if (result.status !== "completed") print(`transcoding failed: ${result.error?.message ?? "unknown"}`);
      }
      if (await archive.exists(`media/${videoId}/master.m3u8`)) video = { id: videoId, title: "reeltime sample" };
    }
  }

  let edge: RunningEdge | undefined;
  let live: { stop(): Promise<unknown> } | undefined;
  const stop = async () => {
    await live?.stop().catch(() => undefined);
    await app.close();
    await edge?.stop();
    await uploads.stop();
    await platform.stop();
    await processors.stop();
    await query.shutdown();
    await bus.shutdown();
    await search.shutdown();
    await archive.shutdown();
  };
  if (o.edge) {
    try {
      edge = await startEdge({
        archive,
        bus,
        log,
        appId,
        dataDir: conn.REELTIME_DATA_DIR,
        videoIds: video ? [video.id] : [],
        options: o.edge === true ? {} : o.edge,
        print,
      });
    } catch (err) {
      // Nothing is left running behind the error.
      await stop();
      throw err;
    }
  }

  mediaRoutes(app, archive);
  app.get<{ Params: { name: string } }>("/assets/:name", async (req, reply) => {
    const file = ASSETS[req.params.name]?.();
    if (!file || !existsSync(file))
      return reply
        .code(ERRORS.REELTIME_ERR_NOT_FOUND.status)
        .send({ error: { code: "REELTIME_ERR_NOT_FOUND", message: "no such asset" } });
    reply.header("content-type", "text/javascript; charset=utf-8");
    return reply.send(readFileSync(file));
  });
  const page = demoPage({
    writeKey,
    readToken,
    appId,
    videoId: video?.id ?? "none",
    title: video?.title ?? "",
    hasVideo: !!video,
    ...(o.live ? { liveName: o.live } : {}),
    ...(edge ? { edgeUrl: edge.url } : {}),
  });
  app.get("/", async (_req, reply) => reply.redirect("/demo"));
  app.get("/demo", async (_req, reply) => reply.type("text/html; charset=utf-8").send(page));
  app.get("/v1/dev/query", async (req, reply) => {
    // Local DuckDB over the archive for the demo: only the dev read token may ask.
    if (req.headers.authorization !== `Bearer ${readToken}`)
      return reply
        .code(ERRORS.REELTIME_ERR_AUTH.status)
        .send({ error: { code: "REELTIME_ERR_AUTH", message: "read token needed" } });
    await query.refresh();
    return query.run(
      "SELECT event_type, count(*) AS events FROM playback_events GROUP BY event_type ORDER BY events DESC",
    );
  });

  try {
    address = await app.listen({ port: o.port, host: o.host });
  } catch (err) {
    // Taken while the sample was transcoding: stop what started, then say which port.
    await stop();
    throw listenError(err, { host: o.host, port: o.port, setting: PORT_SETTING });
  }
  if (o.live) live = await startLiveStream(archive, o.live, print);
  return {
    url: address,
    bus,
    search,
    archive,
    query,
    writeKey,
    readToken,
    appId,
    ...(video ? { videoId: video.id } : {}),
    ...(live && o.live ? { liveName: o.live } : {}),
    ...(edge ? { edgeUrl: edge.url } : {}),
    close: stop,
  };
}

const PORT_SETTING = "--port or the PORT variable";

/**
 * The dev server's live stream: ffmpeg's test source as a live HLS ladder into the archive. Runs
 * in the background; without ffmpeg (or when the name is taken) the server runs on without it.
 */
async function startLiveStream(
  archive: Archive,
  name: string,
  print: (line: string) => void,
): Promise<{ stop(): Promise<unknown> } | undefined> {
  const { startLive } = await import("@reeltime/pipeline");
  try {
    const stream = await startLive({ archive, name });
    stream.done.catch((err: Error) => print(`live stream ${name} stopped: ${err.message}`));
    return stream;
  } catch (err) {
    print(`no live stream: ${(err as Error).message}`);
    return undefined;
  }
}

async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once("error", (err) => fail(listenError(err, { host, port, setting: PORT_SETTING })));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => ok()));
  });
}

const MiB = 1024 * 1024;

/**
 * The upload API's routes for this server (the write key of the demo app, every origin, uploads
 * up to 1 GiB unless REELTIME_UPLOAD_MAX_BYTES says otherwise: the archive target holds a part,
 * and the whole file on completion, in memory) and a pipeline worker taking completed uploads
 * off the bus (the `reeltime pipeline worker` group, on this process's bus and archive).
 */
async function startUploads(deps: {
  bus: Bus;
  archive: Archive;
  log: Logger;
  registry: Registry;
  appId: string;
  writeKey: string;
  dataDir: string;
  publicUrl: () => string;
  transcode: boolean;
  print: (line: string) => void;
}): Promise<{ routes: FastifyPluginAsync; stop(): Promise<void> }> {
  const { uploadsOnArchive } = await import("@reeltime/uploads");
  const settings = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith("REELTIME_UPLOAD_") || k === "REELTIME_PG_URL"),
  );
  const uploads = await uploadsOnArchive({
    bus: deps.bus,
    archive: deps.archive,
    logger: deps.log,
    publicUrl: deps.publicUrl,
    env: {
      REELTIME_UPLOAD_MAX_BYTES: String(1024 * MiB),
      ...settings,
      REELTIME_DATA_DIR: deps.dataDir,
      REELTIME_WRITE_KEYS: `${deps.appId}:${deps.writeKey}`,
      REELTIME_CORS_ORIGINS: `${deps.appId}=*`,
    },
  });
  let worker: { stop(): Promise<void> } | undefined;
  if (deps.transcode) {
    const { TranscodePipeline, TranscodeWorker } = await import("@reeltime/pipeline");
    const pipeline = new TranscodePipeline(
      { bus: deps.bus, archive: deps.archive },
      { ladder: ["720p", "480p", "360p", "240p"], segmentSeconds: 2, appId: deps.appId },
    );
    const w = new TranscodeWorker(
      { bus: deps.bus, archive: deps.archive, pipeline },
      {
        log: deps.log,
        registry: deps.registry,
        onJob: (r) =>
          deps.print(
            `upload ${r.video_id}: transcode ${r.status}${r.error_code ? ` (${r.error_code})` : ""}${r.job_id ? `, job ${r.job_id}` : ""}`,
          ),
      },
    );
    await w.start();
    worker = w;
  }
  return {
    routes: uploads.routes,
    async stop() {
      await worker?.stop();
      await uploads.close();
    },
  };
}

/** The catalogue updater and the notifier in this process, and the routes they add to ingest. */
async function startPlatform(deps: {
  bus: Bus;
  search: SearchStore;
  archive: Archive;
  log: Logger;
  registry: Registry;
  metrics: ProcessorMetrics;
  dataDir: string;
}): Promise<{ readMounts: ReadMount[]; stop(): Promise<void> }> {
  const [catalogue, notifier] = await Promise.all([import("@reeltime/catalogue"), import("@reeltime/notifier")]);
  // PGlite under the data dir by default; REELTIME_PG_URL points it at a real PostgreSQL.
  const env: NodeJS.ProcessEnv = { ...process.env, REELTIME_DATA_DIR: deps.dataDir };
  const catalogueDb = await catalogue.openCatalogueDatabase(env);
  const notifierDb = await notifier.openNotifierDatabase(env);
  const { metrics } = deps;
  const writer = new ParquetWriter();
  const updater = await catalogue.startCatalogueUpdater({
    bus: deps.bus,
    search: deps.search,
    archive: createVideoRecordArchive({ archive: deps.archive, writer }),
    log: deps.log,
    registry: deps.registry,
    metrics,
    db: catalogueDb,
  });
  const sender = await notifier.startNotifier(
    { db: notifierDb, bus: deps.bus, log: deps.log, metrics, registry: deps.registry },
    env,
  );
  return {
    readMounts: [
      async (api, appOf) => {
        await api.register(catalogue.catalogueRoutes, { db: catalogueDb, appOf });
      },
      async (api, appOf) => {
        await api.register(notifier.endpointsPlugin, { db: notifierDb, appOf });
      },
    ],
    async stop() {
      await sender.stop();
      await updater.stop();
      await writer.close();
      await catalogueDb.close();
      await notifierDb.close();
    },
  };
}
