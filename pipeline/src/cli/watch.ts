import { ReeltimeError } from "@reeltime/runtime";
import { analysisFromEnv } from "../analysis/job.ts";
import type { SegmentFormat } from "../ladder.ts";
import { TranscodePipeline } from "../pipeline.ts";
import { type ProcessedRecord, UploadWatcher } from "../watch.ts";
import { connect } from "./connect.ts";

export interface WatchCommandOptions {
  prefix?: string;
  intervalSeconds?: number;
  /** One pass, then exit (cron, tests). */
  once?: boolean;
  /** `cmaf` (default: HLS and DASH over fragmented MP4) or `ts` (MPEG-TS, HLS only). */
  segmentFormat?: SegmentFormat;
  stdout?: NodeJS.WritableStream;
}

/** The uploads prefix: `--prefix`, else REELTIME_UPLOADS_PREFIX, else `uploads/`. */
export function uploadsPrefix(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const prefix = flag ?? env.REELTIME_UPLOADS_PREFIX ?? "uploads/";
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*\/$/.test(prefix))
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `REELTIME_UPLOADS_PREFIX=${JSON.stringify(prefix)} is invalid: expected a key prefix ending in "/", e.g. uploads/`,
    );
  return prefix;
}

/** `reeltime pipeline watch`: transcodes each upload under the prefix once, until interrupted. */
export async function watchCommand(o: WatchCommandOptions): Promise<ProcessedRecord[]> {
  const out = o.stdout ?? process.stdout;
  const prefix = uploadsPrefix(o.prefix);
  const { bus, archive } = await connect();
  // Uploads belong to the app REELTIME_APP_ID names (their job events and records carry it).
  const appId = process.env.REELTIME_APP_ID;
  const pipeline = new TranscodePipeline(
    { bus, archive },
    {
      ...(appId ? { appId } : {}),
      ...(o.segmentFormat ? { segmentFormat: o.segmentFormat } : {}),
      analysis: await analysisFromEnv(),
    },
  );
  const watcher = new UploadWatcher(archive, pipeline, {
    prefix,
    intervalMs: (o.intervalSeconds ?? 5) * 1000,
    onJob: (r) =>
      out.write(
        `${r.key}: ${r.status}${r.error_code ? ` (${r.error_code})` : ""} job ${r.job_id} video ${r.video_id}\n`,
      ),
    onSkip: (key, reason, by) =>
      out.write(
        reason === "held"
          ? `${key}: skipped, another instance (${by}) is transcoding it\n`
          : `${key}: already transcoded${by ? ` by ${by}` : ""}\n`,
      ),
    onLost: (key) => out.write(`${key}: stopped, another instance took its claim over (this one was presumed dead)\n`),
  });
  try {
    if (o.once) return await watcher.pollOnce();
    out.write(`watching ${archive.driver}:${prefix} every ${o.intervalSeconds ?? 5} s (Ctrl-C to stop)\n`);
    watcher.start();
    await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
    out.write("stopping: letting the running job finish\n");
    await watcher.stop();
    return [];
  } finally {
    await bus.shutdown();
    await archive.shutdown();
  }
}
