import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv, startOpsServer } from "@reeltime/runtime";
import { analysisFromEnv } from "../analysis/job.ts";
import { busDispatch } from "../chunked/job.ts";
import { loadChunkSettings } from "../chunked/settings.ts";
import { CHUNK_TOPIC } from "../chunked/units.ts";
import type { SegmentFormat } from "../ladder.ts";
import { TranscodePipeline } from "../pipeline.ts";
import { requestIdFor, requestTranscodes, TRANSCODE_TOPIC, type TranscodeRequest } from "../worker/request.ts";
import { TranscodeWorker } from "../worker/worker.ts";
import { connect } from "./connect.ts";
import { uploadsPrefix } from "./watch.ts";

export interface WorkerCommandOptions {
  /** Port of /healthz, /readyz and /metrics (default 9465; 0 picks one). */
  metricsPort?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  /** Consumer group and request topic (defaults: reeltime-transcoders on reeltime.transcode). */
  group?: string;
  topic?: string;
  /** `cmaf` (default: HLS and DASH over fragmented MP4) or `ts` (MPEG-TS, HLS only). */
  segmentFormat?: SegmentFormat;
}

/**
 * `reeltime pipeline worker`: joins the transcode workers' consumer group, serves /healthz,
 * /readyz and /metrics, and runs until SIGTERM/SIGINT (the running job finishes first).
 */
export async function startWorkerService(o: WorkerCommandOptions = {}) {
  const env = o.env ?? process.env;
  const log = createLogger("pipeline-worker");
  const registry = createRegistry("pipeline-worker");
  const { bus, archive } = await connect(env);
  const partitions = loadEnv(ConnectionEnv, env).REELTIME_PARTITIONS;
  const chunks = loadChunkSettings(env);
  await bus.ensureTopics([
    { name: o.topic ?? TRANSCODE_TOPIC, partitions },
    { name: TOPICS.upload, partitions },
    // Chunk units are many and short: more partitions than requests, so they spread over the group.
    ...(chunks.thresholdSeconds === undefined ? [] : [{ name: CHUNK_TOPIC, partitions: Math.max(partitions, 8) }]),
  ]);
  const appId = env.REELTIME_APP_ID;
  const pipeline = new TranscodePipeline(
    { bus, archive },
    {
      ...(appId ? { appId } : {}),
      ...(o.segmentFormat ? { segmentFormat: o.segmentFormat } : {}),
      analysis: await analysisFromEnv(env),
      // Sources longer than REELTIME_CHUNK_THRESHOLD_SECONDS are split; every worker of the group encodes chunks.
      ...(chunks.thresholdSeconds === undefined
        ? {}
        : {
            chunking: {
              thresholdSeconds: chunks.thresholdSeconds,
              chunkSeconds: chunks.chunkSeconds,
              dispatch: busDispatch(bus),
            },
          }),
    },
  );
  const worker = new TranscodeWorker(
    { bus, archive, pipeline },
    {
      log,
      registry,
      ...(o.group ? { group: o.group } : {}),
      ...(o.topic ? { topic: o.topic } : {}),
      onJob: (r) => log.info({ ...r }, `request ${r.request_id}: ${r.status}`),
    },
  );
  await worker.start();
  const ops = await startOpsServer({
    registry,
    host: o.host ?? env.HOST ?? "127.0.0.1",
    port: o.metricsPort ?? 9465,
    setting: "--metrics-port",
    ready: () => worker.ready(),
  });
  log.info({ worker: worker.id, metrics: `${ops.url}/metrics`, bus: bus.driver }, "transcode worker running");
  return {
    worker,
    ops,
    async close() {
      await worker.stop();
      await ops.close();
      await bus.shutdown();
      await archive.shutdown();
    },
  };
}

/**
 * `reeltime pipeline enqueue`: publishes one transcode request per upload under the prefix.
 * The request id is fixed by the upload's key, size and time, so enqueueing twice (or from two
 * schedulers) still transcodes each upload version once.
 */
export async function enqueueUploads(o: { prefix?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env = o.env ?? process.env;
  const prefix = uploadsPrefix(o.prefix, env);
  const { bus, archive } = await connect(env);
  try {
    await bus.ensureTopics([{ name: TRANSCODE_TOPIC, partitions: loadEnv(ConnectionEnv, env).REELTIME_PARTITIONS }]);
    const requests: TranscodeRequest[] = (await archive.list(prefix))
      .filter((u) => !u.key.endsWith("/") && u.size > 0)
      .map((u) => ({
        request_id: requestIdFor(u.key, u.size, u.lastModified),
        source_key: u.key,
        requested_at: u.lastModified.toISOString(),
        ...(env.REELTIME_APP_ID ? { app_id: env.REELTIME_APP_ID } : {}),
      }));
    if (requests.length > 0) await requestTranscodes(bus, requests);
    return requests;
  } finally {
    await bus.shutdown();
    await archive.shutdown();
  }
}
