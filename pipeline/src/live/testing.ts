import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { type Archive, createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { type LiveStream, startLive } from "./live.ts";
import type { LiveUploadStats } from "./uploader.ts";

export interface LiveForTestOptions {
  /** A data dir: the stream goes to the filesystem archive in `<dir>/archive` (made here). */
  dir?: string;
  /** Or an archive of the caller's (S3, in-memory...). One of `dir` and `archive` is needed. */
  archive?: Archive;
  /** A known extra encoder delay: each segment is published this long after ffmpeg wrote it. */
  delayMs?: number;
  /** Default `test-<random hex>`. */
  name?: string;
  window?: number;
  segmentSeconds?: number;
  /** A file to loop instead of the test source. */
  input?: string;
}

export interface LiveForTest {
  name: string;
  archive: Archive;
  /** The master playlist's archive key: `media/live/<name>/master.m3u8`. */
  masterKey: string;
  /** The path under a `/media/` route: `live/<name>/master.m3u8` (the dev server serves `/media/<mediaPath>`). */
  mediaPath: string;
  /** With `dir`: the folder that holds the archive's keys as files (serve `<archiveRoot>/<masterKey>`). */
  archiveRoot?: string;
  /** With `dir`: the master playlist's file. */
  masterFile?: string;
  /** The `video.id` the stream's views carry: `live:<name>`. */
  videoId: string;
  stream: LiveStream;
  /** Stops ffmpeg and the uploader (playlists end with EXT-X-ENDLIST); closes an archive made here. */
  stop(): Promise<LiveUploadStats>;
}

/**
 * For tests of other workspaces (the player SDK's live views in Chromium): a test-source live
 * stream published into a filesystem archive under `dir` or into `archive`, resolved once its
 * master playlist is out. Needs ffmpeg (integration tier).
 */
export async function startLiveForTest(o: LiveForTestOptions): Promise<LiveForTest> {
  if (!o.dir && !o.archive) throw new Error("startLiveForTest needs dir or archive");
  const own = o.archive
    ? undefined
    : await createArchive(loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "fs", REELTIME_DATA_DIR: resolve(o.dir!) }));
  const archive = o.archive ?? own!;
  await archive.start();
  const name = o.name ?? `test-${randomBytes(4).toString("hex")}`;
  const stream = await startLive({
    archive,
    name,
    ...(o.delayMs === undefined ? {} : { delayMs: o.delayMs }),
    ...(o.window === undefined ? {} : { window: o.window }),
    ...(o.segmentSeconds === undefined ? {} : { segmentSeconds: o.segmentSeconds }),
    ...(o.input === undefined ? {} : { input: o.input }),
  });
  const stop = async () => {
    try {
      return await stream.stop();
    } finally {
      await own?.shutdown();
    }
  };
  try {
    await stream.ready;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const archiveRoot = o.dir && !o.archive ? join(resolve(o.dir), "archive") : undefined;
  return {
    name,
    archive,
    masterKey: stream.keys.master,
    mediaPath: stream.keys.mediaPath,
    ...(archiveRoot ? { archiveRoot, masterFile: join(archiveRoot, stream.keys.master) } : {}),
    videoId: stream.keys.videoId,
    stream,
    stop,
  };
}
