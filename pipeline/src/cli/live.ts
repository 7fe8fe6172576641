import { type Archive, createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { type LiveProgress, startLive } from "../live/live.ts";
import type { LiveUploadStats } from "../live/uploader.ts";

export interface LiveCommandOptions {
  /** A file to loop; default ffmpeg's test source. */
  input?: string;
  segmentSeconds?: number;
  window?: number;
  /** Hold segments this long before publishing them (a known extra delay). */
  delayMs?: number;
  /** Stop by itself after this many seconds (scripts, tests). */
  durationSeconds?: number;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/** One progress line: segments published, ffmpeg's speed, the published edge's lag behind real time. */
export function formatLiveProgress(p: LiveProgress): string {
  const speed = p.speed === undefined ? "…" : `${p.speed.toFixed(2)}x`;
  const lag = p.edgeLagMs === undefined ? "…" : `${(p.edgeLagMs / 1000).toFixed(1)} s`;
  const warn = p.speed !== undefined && p.speed < 0.98 && p.elapsedMs > 10_000 ? " (ffmpeg slower than real time)" : "";
  return `live ${(p.elapsedMs / 1000).toFixed(0)} s: ${p.published} segments published, ${p.deleted} deleted, speed ${speed}${warn}, edge ${lag} behind`;
}

/**
 * `reeltime live start NAME`: a live HLS ladder into the configured archive (REELTIME_ARCHIVE;
 * the media bucket) until SIGINT/SIGTERM, with a progress line. Ends with the playlists closed
 * (EXT-X-ENDLIST) and the name free again.
 */
export async function liveCommand(name: string, o: LiveCommandOptions = {}): Promise<LiveUploadStats> {
  const out = o.stdout ?? process.stdout;
  const archive: Archive = await createArchive(loadEnv(ConnectionEnv, o.env ?? process.env));
  await archive.start();
  try {
    let last = 0;
    const stream = await startLive({
      archive,
      name,
      ...(o.input === undefined ? {} : { input: o.input }),
      ...(o.segmentSeconds === undefined ? {} : { segmentSeconds: o.segmentSeconds }),
      ...(o.window === undefined ? {} : { window: o.window }),
      ...(o.delayMs === undefined ? {} : { delayMs: o.delayMs }),
      onProgress: (p) => {
        // A terminal gets one line rewritten in place; a log gets a line every 10 s.
        if (out.isTTY) out.write(`\r\x1b[2K${formatLiveProgress(p)}`);
        else if (p.elapsedMs - last >= 10_000) {
          last = p.elapsedMs;
          out.write(`${formatLiveProgress(p)}\n`);
        }
      },
      onWarning: (err) => out.write(`${out.isTTY ? "\n" : ""}warning: ${(err as Error).message}\n`),
    });
    const stop = () => {
      void stream.stop().catch(() => undefined);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const timer = o.durationSeconds ? setTimeout(stop, o.durationSeconds * 1000) : undefined;
    try {
      await stream.ready;
      out.write(
        `live stream "${stream.name}" (video id ${stream.keys.videoId}): ${stream.keys.master} in the ${archive.driver} archive; ` +
          `the dev server plays /media/${stream.keys.mediaPath}; Ctrl-C stops it\n`,
      );
      const stats = await stream.done;
      out.write(`${out.isTTY ? "\n" : ""}stopped: ${stats.published} segments published, ${stats.deleted} deleted\n`);
      return stats;
    } finally {
      if (timer) clearTimeout(timer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  } finally {
    await archive.shutdown();
  }
}
