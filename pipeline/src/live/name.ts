import { ReeltimeError } from "@reeltime/runtime";

/**
 * A live stream's name: 1-48 letters, digits, '_' or '-', starting with a letter or digit. No
 * dots or slashes, so a name can never step out of its folder (`..`, `/`) or hide a file (`.x`).
 */
export const LIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;

/** Checks a live stream's name; a bad one is a usage error that says what is allowed. */
export function checkLiveName(name: string): string {
  if (!LIVE_NAME.test(name))
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `live stream name ${JSON.stringify(name)} is not valid: use 1-48 letters, digits, '_' or '-', starting with a letter or digit`,
    );
  return name;
}

/**
 * Where a live stream lives in the archive (the media bucket), and the video id its views carry.
 * Media sits under `media/live/<name>/` so the dev server's `/media/*` route (and an edge in front
 * of the bucket) serves it beside the VOD packages; the lease that keeps a name to one publisher
 * sits outside `media/`, so it is never served.
 */
export function liveKeys(name: string) {
  checkLiveName(name);
  const root = `media/live/${name}`;
  return {
    /** Every object of the stream's media is under this prefix (with a trailing `/`). */
    root,
    master: `${root}/master.m3u8`,
    playlist: (rendition: string) => `${root}/${rendition}/index.m3u8`,
    segment: (rendition: string, file: string) => `${root}/${rendition}/${file}`,
    lease: `live/${name}/lease.json`,
    /** The path under the dev server's (or an edge's) `/media/`: `live/<name>/master.m3u8`. */
    mediaPath: `live/${name}/master.m3u8`,
    /** The `video.id` of the stream's views (the contract's id allows ':'; VOD ids never hold one). */
    videoId: `live:${name}`,
  };
}
