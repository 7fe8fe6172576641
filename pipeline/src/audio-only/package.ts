import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readTrack } from "../cmaf/read-track.ts";
import type { CmafAudioTrack } from "../cmaf/track.ts";
import type { ToolRunner } from "../ffmpeg/run.ts";
import { AAC_LC } from "../hls/master.ts";
import { audioArgs, cmafTrack } from "../steps/rendition.ts";
import type { AudioOnlyPlan } from "./ladder.ts";
import { type AudioOnlyManifests, audioOnlyManifests } from "./manifests.ts";

/** The master playlist and MPD of an audio-only package, beside its track folders. */
export const AUDIO_ONLY_MASTER = "master.m3u8";
export const AUDIO_ONLY_MPD = "manifest.mpd";

/**
 * ffmpeg's arguments for an audio-only package: one run, one output per AAC track, each a CMAF
 * track (init.mp4, seg_NNNNN.m4s, index.m3u8) in `<dir>/<track name>/`, cut every
 * `segmentSeconds` (AAC frames are all sync samples, so every track cuts at the same frames).
 */
export function audioOnlyArgs(
  source: string,
  dir: string,
  plans: readonly AudioOnlyPlan[],
  segmentSeconds: number,
  filter?: string,
): string[] {
  return [
    ...["-nostdin", "-y", "-v", "error", "-i", source],
    ...plans.flatMap((p) => [...audioArgs(p.bps, filter), ...cmafTrack(segmentSeconds, join(dir, p.name))]),
  ];
}

export interface AudioOnlyPackage extends AudioOnlyManifests {
  tracks: CmafAudioTrack[];
  /** Every file written, relative to `dir`: each track's init, segments and playlist, then the MPD and master. */
  files: string[];
}

/**
 * Encodes an audio-only CMAF package into a local folder: the tracks (one ffmpeg run), each read
 * back from its boxes (its playlist rewritten from its timeline), then the DASH MPD and the HLS
 * master over the same files.
 */
export async function packageAudioOnly(p: {
  run: ToolRunner;
  ffmpeg: string;
  source: string;
  dir: string;
  plans: readonly AudioOnlyPlan[];
  segmentSeconds: number;
  filter?: string;
  signal?: AbortSignal;
}): Promise<AudioOnlyPackage> {
  for (const plan of p.plans) await mkdir(join(p.dir, plan.name), { recursive: true });
  await p.run(
    p.ffmpeg,
    audioOnlyArgs(p.source, p.dir, p.plans, p.segmentSeconds, p.filter),
    p.signal ? { signal: p.signal } : {},
  );
  const tracks: CmafAudioTrack[] = [];
  const files: string[] = [];
  for (const plan of p.plans) {
    const t = await readTrack(join(p.dir, plan.name), `audio-only ${plan.name}`);
    tracks.push({
      dir: plan.name,
      timeline: t.timeline,
      codecs: AAC_LC,
      bandwidth: t.bandwidth,
      averageBandwidth: t.averageBandwidth,
      bytes: (await Promise.all(t.files.map((f) => stat(join(p.dir, plan.name, f))))).reduce((n, s) => n + s.size, 0),
      group: plan.name,
      bps: plan.bps,
      sampleRate: plan.sampleRate,
      channels: plan.channels,
    });
    files.push(...t.files.map((f) => `${plan.name}/${f}`));
  }
  const manifests = audioOnlyManifests(tracks);
  await writeFile(join(p.dir, AUDIO_ONLY_MPD), manifests.mpd);
  await writeFile(join(p.dir, AUDIO_ONLY_MASTER), manifests.master);
  files.push(AUDIO_ONLY_MPD, AUDIO_ONLY_MASTER);
  return { ...manifests, tracks, files };
}
