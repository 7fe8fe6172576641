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
 * ffmpeg's arguments for one track of an audio-only package: a CMAF track (init.mp4,
 * seg_NNNNN.m4s, index.m3u8) in `<dir>/<track name>/`, cut every `segmentSeconds` (AAC frames are
 * all sync samples and every track is 48 kHz, so every track cuts at the same frames).
 */
export function audioOnlyArgs(
  source: string,
  dir: string,
  plan: AudioOnlyPlan,
  segmentSeconds: number,
  filter?: string,
): string[] {
  return [
    ...["-nostdin", "-y", "-v", "error", "-i", source],
    ...audioArgs(plan.bps, filter),
    ...cmafTrack(segmentSeconds, join(dir, plan.name)),
  ];
}

export interface EncodeAudioTrack {
  run: ToolRunner;
  ffmpeg: string;
  source: string;
  /** The package's local folder: the track goes to `<dir>/<plan.name>/`. */
  dir: string;
  segmentSeconds: number;
  filter?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** One encoded track and its files, relative to the package's folder (init, segments, playlist). */
export interface EncodedAudioTrack {
  track: CmafAudioTrack;
  files: string[];
  mediaBytes: number;
}

/** Encodes one AAC track (one ffmpeg run) and reads it back from its boxes (its playlist rewritten from its timeline). */
export async function encodeAudioTrack(p: EncodeAudioTrack, plan: AudioOnlyPlan): Promise<EncodedAudioTrack> {
  const dir = join(p.dir, plan.name);
  await mkdir(dir, { recursive: true });
  await p.run(
    p.ffmpeg,
    audioOnlyArgs(p.source, p.dir, plan, p.segmentSeconds, p.filter),
    p.signal ? { signal: p.signal } : {},
  );
  const t = await readTrack(dir, `audio-only ${plan.name}`);
  const sizes = await Promise.all(t.files.map((f) => stat(join(dir, f))));
  return {
    track: {
      dir: plan.name,
      timeline: t.timeline,
      codecs: AAC_LC,
      bandwidth: t.bandwidth,
      averageBandwidth: t.averageBandwidth,
      bytes: sizes.reduce((n, s) => n + s.size, 0),
      group: plan.name,
      bps: plan.bps,
      sampleRate: plan.sampleRate,
      channels: plan.channels,
    },
    files: t.files.map((f) => `${plan.name}/${f}`),
    mediaBytes: t.mediaBytes,
  };
}

export interface AudioOnlyPackage extends AudioOnlyManifests {
  tracks: CmafAudioTrack[];
  /** Every file written, relative to `dir`: each track's init, segments and playlist, then the MPD and master. */
  files: string[];
}

/**
 * Encodes an audio-only CMAF package into a local folder, one ffmpeg run per track, then writes
 * the DASH MPD and the HLS master over the same files.
 */
export async function packageAudioOnly(
  p: EncodeAudioTrack & { plans: readonly AudioOnlyPlan[] },
): Promise<AudioOnlyPackage> {
  const encoded: EncodedAudioTrack[] = [];
  for (const plan of p.plans) encoded.push(await encodeAudioTrack(p, plan));
  const tracks = encoded.map((e) => e.track);
  const manifests = audioOnlyManifests(tracks);
  await writeFile(join(p.dir, AUDIO_ONLY_MPD), manifests.mpd);
  await writeFile(join(p.dir, AUDIO_ONLY_MASTER), manifests.master);
  return { ...manifests, tracks, files: [...encoded.flatMap((e) => e.files), AUDIO_ONLY_MPD, AUDIO_ONLY_MASTER] };
}
