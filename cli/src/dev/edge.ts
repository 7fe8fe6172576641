import { join } from "node:path";
import type { Archive, Bus } from "@reeltime/connectors";
import { ConnectionEnv, createRegistry, type Logger, loadEnv, ReeltimeError } from "@reeltime/runtime";
import { MEDIA_TYPES } from "./media.ts";

/** `reeltime dev --edge`: where the edge and its log stream are (the local services by default). */
export interface EdgeOptions {
  /** The edge's base URL (default: the local nginx, http://127.0.0.1:8081). */
  url?: string;
  /** The consumer group reading the edge's real-time log stream (default `reeltime-dev-cdn`). */
  group?: string;
}

export interface RunningEdge {
  /** Base URL the demo page loads the published video from. */
  url: string;
  stop(): Promise<void>;
}

const HINT = "start it with `npx reeltime infra up --only seaweedfs,kinesis,nginx,edge-shipper`";

/**
 * The demo through the local edge (issue 21): the sample video's HLS package is copied from the
 * archive into the media bucket that nginx caches (same keys, `media/<video_id>/...`), and the
 * CloudFront real-time log consumer reads the edge's Kinesis stream (the field list infra gives
 * nginx, source `nginx`) onto this process's bus, where the delivery processor and the
 * sessionizer give each view its cdn_* fields. Every piece it needs is checked first, each with
 * one line saying what is missing.
 */
export async function startEdge(deps: {
  archive: Archive;
  bus: Bus;
  log: Logger;
  appId: string;
  dataDir: string;
  videoIds: string[];
  options: EdgeOptions;
  print: (line: string) => void;
}): Promise<RunningEdge> {
  const { print } = deps;
  const infra = await import("@reeltime/infra");
  const edge = infra.LOCAL_ENDPOINTS.edge;
  const url = (deps.options.url ?? edge.url).replace(/\/+$/, "");
  const health = await fetch(`${url}/nginx-health`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  if (!health?.ok)
    throw new ReeltimeError("REELTIME_ERR_CONFIG", `--edge: the edge (nginx) does not answer at ${url}; ${HINT}`);

  // The media bucket through the archive connector (S3 on the local SeaweedFS). The AWS SDK reads
  // credentials from the environment: without any, the local services' fixed development keys
  // (SeaweedFS checks them, kinesis-local takes any), as the integration tier sets them.
  const { createArchive, createBus } = await import("@reeltime/connectors");
  const s3 = infra.LOCAL_ENDPOINTS.s3;
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    print("--edge: no AWS credentials in the environment; using the local services' development keys");
  }
  const bucket = s3.buckets.media;
  const media = await createArchive(
    loadEnv(ConnectionEnv, {
      ...process.env,
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_ENDPOINT: process.env.REELTIME_S3_ENDPOINT ?? s3.endpoint,
      REELTIME_S3_BUCKET: bucket,
      AWS_REGION: process.env.AWS_REGION ?? infra.LOCAL_ENDPOINTS.region,
    }),
  );
  try {
    await media.start();
    for (const id of deps.videoIds) {
      const objects = await deps.archive.list(`media/${id}/`);
      print(`publishing media/${id}/ to the edge's bucket ${bucket} (${objects.length} objects)…`);
      for (const o of objects) {
        const ext = o.key.slice(o.key.lastIndexOf(".") + 1);
        await media.put(o.key, await deps.archive.get(o.key), {
          contentType: MEDIA_TYPES[ext] ?? "application/octet-stream",
        });
      }
    }
  } catch (err) {
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `--edge: could not write to the media bucket ${bucket} (${(err as Error).message}); ${HINT}`,
    );
  } finally {
    await media.shutdown().catch(() => undefined);
  }

  const { DEFAULT_REALTIME_STREAM, runRealtimeConsumer } = await import("@reeltime/cdn-logs");
  const source = await createBus(
    loadEnv(ConnectionEnv, {
      ...process.env,
      REELTIME_BUS: "kinesis",
      REELTIME_KINESIS_ENDPOINT: process.env.REELTIME_KINESIS_ENDPOINT ?? infra.LOCAL_ENDPOINTS.kinesis.endpoint,
      REELTIME_DATA_DIR: join(deps.dataDir, "cdn-leases"),
      AWS_REGION: process.env.AWS_REGION ?? infra.LOCAL_ENDPOINTS.region,
    }),
  );
  const group = deps.options.group ?? "reeltime-dev-cdn";
  let consumer: { stop(): Promise<void> };
  try {
    await source.start();
    const fields = (await infra.loadEdgeLogFields()).map((f) => f.name);
    consumer = await runRealtimeConsumer(
      // A registry of its own: its consumer-group metrics share names with the processors'.
      { source, out: deps.bus, log: deps.log, registry: createRegistry("reeltime-dev-cdn") },
      { stream: DEFAULT_REALTIME_STREAM, fields, source: "nginx", appId: deps.appId, group },
    );
  } catch (err) {
    await source.shutdown().catch(() => undefined);
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `--edge: cannot read the edge's log stream ${DEFAULT_REALTIME_STREAM} (${(err as Error).message}); ${HINT}`,
    );
  }
  print(`CDN real-time consumer on ${DEFAULT_REALTIME_STREAM} (group ${group}) → views gain cdn_* fields`);
  return {
    url,
    async stop() {
      await consumer.stop();
      await source.shutdown();
    },
  };
}
