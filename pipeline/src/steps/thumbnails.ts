import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StepContext } from "../context.ts";
import { uploadFiles } from "../publish.ts";

export interface ThumbnailsResult {
  poster: string;
  /** Where the poster frame was taken, ms into the media. */
  posterMs: number;
  sprite: string;
  vtt: string;
  /** Seconds between two sprite tiles. */
  interval: number;
  tiles: number;
  columns: number;
  tileWidth: number;
  tileHeight: number;
  bytes: number;
}

const TILE_WIDTH = 160;
const MAX_TILES = 100;
const COLUMNS = 10;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** WebVTT time: hh:mm:ss.mmm. */
export function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The seek-preview track: one cue per tile, pointing into the sprite with a media fragment. */
export function renderThumbnailsVtt(
  o: { tiles: number; interval: number; columns: number; tileWidth: number; tileHeight: number; durationS: number },
  sprite: string,
): string {
  const lines = ["WEBVTT", ""];
  for (let i = 0; i < o.tiles; i++) {
    const start = i * o.interval;
    const end = Math.min((i + 1) * o.interval, o.durationS);
    const x = (i % o.columns) * o.tileWidth;
    const y = Math.floor(i / o.columns) * o.tileHeight;
    lines.push(`${vttTime(start)} --> ${vttTime(end)}`, `${sprite}#xywh=${x},${y},${o.tileWidth},${o.tileHeight}`, "");
  }
  return lines.join("\n");
}

/**
 * A poster frame, plus a sprite of evenly spaced tiles with a WebVTT track for seek previews. The
 * poster is taken at `posterMs` (the content analyses' choice), else 10 % into the media.
 */
export async function makeThumbnails(ctx: StepContext, posterMs?: number): Promise<ThumbnailsResult> {
  const v = ctx.info.video!;
  const durationS = (ctx.info.durationMs ?? 0) / 1000;
  const dir = join(ctx.workDir, "thumbnails");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const t = String(ctx.threads);
  const base = ["-hide_banner", "-nostdin", "-y", "-v", "error", "-threads", t];

  const posterHeight = even(Math.min(720, v.height));
  const at = posterMs !== undefined ? posterMs / 1000 : Math.min(durationS * 0.1, Math.max(0, durationS - 0.5));
  await ctx.limiter.run(() =>
    ctx.run(
      ctx.tools.ffmpeg,
      [
        ...base,
        ...["-ss", at.toFixed(3), "-i", ctx.sourcePath, "-map", "0:v:0", "-frames:v", "1"],
        ...["-vf", `scale=-2:${posterHeight},setsar=1`, "-q:v", "3", join(dir, "poster.jpg")],
      ],
      { signal: ctx.signal },
    ),
  );

  const interval = Math.max(1, Math.ceil(durationS / MAX_TILES));
  const tiles = Math.max(1, Math.ceil(durationS / interval));
  const columns = Math.min(COLUMNS, tiles);
  const rows = Math.ceil(tiles / columns);
  const tileWidth = TILE_WIDTH;
  const tileHeight = even((TILE_WIDTH * v.height) / v.displayWidth);
  // Long sources: decode keyframes only, which is much cheaper and close enough for previews.
  const skip = durationS > 120 ? ["-skip_frame", "nokey"] : [];
  await ctx.limiter.run(() =>
    ctx.run(
      ctx.tools.ffmpeg,
      [
        ...base,
        ...skip,
        ...["-i", ctx.sourcePath, "-map", "0:v:0", "-frames:v", "1", "-q:v", "4"],
        ...["-vf", `fps=1/${interval},scale=${tileWidth}:${tileHeight},setsar=1,tile=${columns}x${rows}`],
        join(dir, "sprite.jpg"),
      ],
      { signal: ctx.signal },
    ),
  );
  const vtt = renderThumbnailsVtt({ tiles, interval, columns, tileWidth, tileHeight, durationS }, "sprite.jpg");
  await writeFile(join(dir, "thumbnails.vtt"), vtt);
  const bytes = await uploadFiles(
    ctx.archive,
    dir,
    ["poster.jpg", "sprite.jpg", "thumbnails.vtt"],
    ctx.keys.thumbnails,
  );
  await rm(dir, { recursive: true, force: true });
  return {
    poster: `${ctx.keys.thumbnails}/poster.jpg`,
    posterMs: Math.round(at * 1000),
    sprite: `${ctx.keys.thumbnails}/sprite.jpg`,
    vtt: `${ctx.keys.thumbnails}/thumbnails.vtt`,
    interval,
    tiles,
    columns,
    tileWidth,
    tileHeight,
    bytes,
  };
}
