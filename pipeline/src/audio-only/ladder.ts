import { ReeltimeError } from "@reeltime/runtime";
import type { MediaInfo } from "../ffmpeg/probe.ts";
import { audioGroupOf } from "../ladder.ts";

/** One AAC-LC rung of an audio-only ladder (podcasts, music). */
export interface AudioRung {
  /** HLS variant folder and DASH Representation id, e.g. `audio-128k`. */
  name: string;
  bps: number;
}

/** The audio-only ladder: three AAC-LC bitrates, the same as the video ladder's audio groups. */
export const AUDIO_ONLY_LADDER: readonly AudioRung[] = [128_000, 96_000, 64_000].map((bps) => ({
  name: audioGroupOf(bps),
  bps,
}));

/** One planned AAC track: its rung, and the stereo 48 kHz output every track shares. */
export interface AudioOnlyPlan extends AudioRung {
  channels: number;
  sampleRate: number;
}

export const AUDIO_ONLY_CHANNELS = 2;
export const AUDIO_ONLY_RATE = 48_000;

/**
 * Whether a source is packaged as audio only: it has audio and no video, or the caller asked for
 * audio only (`audioOnly: true`) on a source that has audio.
 */
export function isAudioOnly(info: MediaInfo, asked = false): boolean {
  return info.audio !== undefined && (asked || info.video === undefined);
}

/**
 * The tracks of an audio-only package, highest bitrate first: the ladder's rungs (or those named,
 * e.g. `["audio-96k"]`), each AAC-LC stereo at 48 kHz. A source without audio is a usage error.
 */
export function planAudioOnly(
  info: MediaInfo,
  names?: readonly string[],
  ladder: readonly AudioRung[] = AUDIO_ONLY_LADDER,
): AudioOnlyPlan[] {
  if (!info.audio)
    throw new ReeltimeError("REELTIME_ERR_USAGE", "an audio-only package needs a source with an audio stream");
  const rungs: AudioRung[] = [];
  for (const name of names?.length ? names : ladder.map((r) => r.name)) {
    const rung = ladder.find((r) => r.name === name.trim());
    if (!rung)
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `unknown audio rendition "${name}"; choose from ${ladder.map((r) => r.name).join(", ")}`,
      );
    if (!rungs.includes(rung)) rungs.push(rung);
  }
  return rungs
    .sort((a, b) => b.bps - a.bps)
    .map((r) => ({ ...r, channels: AUDIO_ONLY_CHANNELS, sampleRate: AUDIO_ONLY_RATE }));
}
