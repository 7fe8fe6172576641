import { join } from "node:path";
import { segmentCount, totalTicks } from "../cmaf/timeline.ts";
import { TRACK_PLAYLIST } from "../cmaf/track.ts";
import type { StepContext } from "../context.ts";
import type { StepRunner } from "../job/steps.ts";
import { jsonBytes, uploadFiles } from "../publish.ts";
import type { RenditionResult } from "../steps/rendition.ts";
import type { SubtitleTrack } from "../subtitles/manifests.ts";
import type { AudioOnlyPlan } from "./ladder.ts";
import { audioOnlyManifests } from "./manifests.ts";
import { encodeAudioTrack } from "./package.ts";

/** What an audio-only job published. */
export interface AudioOnlyJobResult {
  /** One per AAC track, highest bitrate first (no picture: width, height and fps are 0). */
  renditions: RenditionResult[];
  /** The manifests' keys, as a video job lists them: the master playlist and the MPD (the master is written last). */
  manifests: string[];
  /** The subtitle renditions the manifests name. */
  subtitles: SubtitleTrack[];
}

const fieldsOf = (r: RenditionResult) => ({
  rendition: r.name,
  media_duration_ms: r.mediaDurationMs,
  bytes: r.bytes,
  bitrate_bps: r.achievedBps,
  target_bitrate_bps: r.targetBps,
  speed: Math.min(r.speed, 10_000),
  codec: "aac",
  segments: r.segments,
});

/**
 * The audio-only form of the DAG, after the probe: a `rendition` step per AAC track (one ffmpeg
 * run each, on the job's ffmpeg slots; its segments then its playlist uploaded under
 * `media/<video_id>/<track>/`), then the `metadata` step (the record `record` makes) and the
 * `manifest` step: the DASH MPD, then the HLS master last, both over the same files and naming
 * the subtitle renditions that were published (`subtitles`, awaited before the metadata).
 */
export async function runAudioOnlyJob(
  ctx: StepContext,
  steps: StepRunner,
  plans: readonly AudioOnlyPlan[],
  record: (renditions: RenditionResult[], manifests: string[], subtitles: readonly SubtitleTrack[]) => unknown,
  subtitles: Promise<readonly SubtitleTrack[]> = Promise.resolve([]),
): Promise<AudioOnlyJobResult> {
  const dir = join(ctx.workDir, "audio-only");
  const encoded = await Promise.all(
    plans.map((plan) =>
      steps.run(
        { step: "rendition", rendition: plan.name, target_bitrate_bps: plan.bps },
        async () => {
          const started = { ms: 0 };
          const e = await ctx.limiter.run(async () => {
            const t0 = performance.now();
            const out = await encodeAudioTrack(
              {
                run: ctx.run,
                ffmpeg: ctx.tools.ffmpeg,
                source: ctx.sourcePath,
                dir,
                segmentSeconds: ctx.segmentSeconds,
                filter: ctx.audioFilter,
                signal: ctx.signal,
              },
              plan,
            );
            started.ms = Math.max(1, Math.round(performance.now() - t0));
            return out;
          });
          const prefix = ctx.keys.renditionDir(plan.name);
          const names = e.files.map((f) => f.slice(plan.name.length + 1));
          const bytes =
            (await uploadFiles(
              ctx.archive,
              join(dir, plan.name),
              names.filter((n) => n !== TRACK_PLAYLIST),
              prefix,
            )) + (await uploadFiles(ctx.archive, join(dir, plan.name), [TRACK_PLAYLIST], prefix));
          const seconds = totalTicks(e.track.timeline) / e.track.timeline.timescale;
          const mediaDurationMs = Math.round(seconds * 1000);
          const result: RenditionResult = {
            name: plan.name,
            uri: `${plan.name}/${TRACK_PLAYLIST}`,
            bandwidth: e.track.bandwidth,
            averageBandwidth: e.track.averageBandwidth,
            width: 0,
            height: 0,
            fps: 0,
            codecs: e.track.codecs,
            format: "cmaf",
            segments: segmentCount(e.track.timeline),
            segmentSeconds: ctx.segmentSeconds,
            bytes,
            mediaDurationMs,
            targetBps: plan.bps,
            achievedBps: Math.round((e.mediaBytes * 8) / Math.max(seconds, 0.001)),
            encodeMs: started.ms,
            speed: Math.round((mediaDurationMs / started.ms) * 100) / 100,
            fingerprint: JSON.stringify({ fmt: "cmaf-audio-only", ab: plan.bps, seg: ctx.segmentSeconds }),
          };
          return { result, track: { ...e.track, bytes } };
        },
        (x) => fieldsOf(x.result),
      ),
    ),
  );
  const subs = await subtitles;
  const packaged = audioOnlyManifests(
    encoded.map((e) => e.track),
    subs,
  );
  const renditions = encoded.map((e) => e.result);
  const manifests = [ctx.keys.master, ctx.keys.mpd];
  await steps.run(
    { step: "metadata" },
    async () => {
      const body = jsonBytes(record(renditions, manifests, subs));
      await ctx.archive.put(ctx.keys.metadata, body, { contentType: "application/json" });
      return body.byteLength;
    },
    (bytes) => ({ bytes }),
  );
  await steps.run(
    { step: "manifest" },
    async () => {
      const mpd = new TextEncoder().encode(packaged.mpd);
      await ctx.archive.put(ctx.keys.mpd, mpd, { contentType: "application/dash+xml" });
      const master = new TextEncoder().encode(packaged.master);
      // The master playlist last: a job that failed before it leaves none behind.
      await ctx.archive.put(ctx.keys.master, master, { contentType: "application/vnd.apple.mpegurl" });
      return mpd.byteLength + master.byteLength;
    },
    (bytes) => ({ bytes, renditions: renditions.length, manifests }),
  );
  return { renditions, manifests, subtitles: [...subs] };
}
