import { readFile } from "node:fs/promises";
import { ReeltimeError } from "@reeltime/runtime";
import type { StepContext } from "../context.ts";
import type { StepRunner } from "../job/steps.ts";
import { renderSubtitlePlaylist, type SubtitleTrack, subtitleRendition, subtitleTrack } from "./manifests.ts";
import type { SubtitleSource } from "./sources.ts";
import { checkVtt } from "./vtt.ts";

const isBadFile = (err: unknown) => err instanceof ReeltimeError && err.code === "REELTIME_ERR_BAD_SUBTITLES";

/**
 * One optional `subtitles` step per language (its rendition `subtitles-<lang>`): the WebVTT file
 * read and checked (subtitles/vtt.ts), then it and its HLS media playlist put under
 * `media/<video_id>/subtitles/`. A file that is not valid WebVTT fails its own step with
 * REELTIME_ERR_BAD_SUBTITLES (not retried) and is left out of the manifests; the video and the
 * other languages go on. Resolves with the renditions that made it, in the order given.
 */
export async function publishSubtitles(
  ctx: StepContext,
  steps: StepRunner,
  sources: readonly SubtitleSource[],
): Promise<SubtitleTrack[]> {
  const durationMs = ctx.info.durationMs ?? 0;
  const done = await Promise.allSettled(
    sources.map((s) =>
      steps.run(
        { step: "subtitles", rendition: subtitleRendition(s.language) },
        async () => {
          const label = s.label ?? s.path;
          const bytes = await readFile(s.path).catch((err: NodeJS.ErrnoException) => {
            throw new ReeltimeError(
              "REELTIME_ERR_BAD_SUBTITLES",
              `${label} cannot be read (${err.code ?? err.message}): check the path`,
            );
          });
          const checked = checkVtt(bytes, label);
          const keys = ctx.keys.subtitles(s.language);
          const track = subtitleTrack(s.language, s.name, bytes.byteLength, durationMs);
          const playlist = new TextEncoder().encode(
            renderSubtitlePlaylist(track.vtt.slice(track.vtt.lastIndexOf("/") + 1), durationMs),
          );
          await ctx.archive.put(keys.vtt, bytes, { contentType: "text/vtt" });
          await ctx.archive.put(keys.playlist, playlist, { contentType: "application/vnd.apple.mpegurl" });
          return { track, cues: checked.cues, bytes: bytes.byteLength + playlist.byteLength };
        },
        (r) => ({ bytes: r.bytes, segments: 1 }),
        { optional: true, retryable: (err) => !isBadFile(err) },
      ),
    ),
  );
  return done.flatMap((d) => (d.status === "fulfilled" ? [d.value.track] : []));
}
