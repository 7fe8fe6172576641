import { access, constants, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import { FfmpegError, inputError } from "../errors.ts";
import { probe } from "../ffmpeg/probe.ts";
import { runTool, type ToolRunner } from "../ffmpeg/run.ts";
import {
  DEFAULT_SEGMENT_SECONDS,
  LIVE_LADDER,
  type LiveInput,
  type LiveRendition,
  liveFfmpegArgs,
  liveLocalListSize,
} from "./command.ts";
import { LiveLease } from "./lease.ts";
import { checkLiveName, liveKeys } from "./name.ts";
import { LiveUploader, type LiveUploadStats } from "./uploader.ts";

export const DEFAULT_LIVE_WINDOW = 5;

export interface StartLiveOptions {
  /** Where the stream is published (the media bucket, or the filesystem archive). */
  archive: Archive;
  name: string;
  /** A video file played in a loop at its native rate; default ffmpeg's test source. */
  input?: string;
  /** 1-10 s, default 2. */
  segmentSeconds?: number;
  /** Segments in each media playlist, 2-30, default 5. */
  window?: number;
  /** Hold each segment this long before publishing it (a known extra encoder delay; default 0). */
  delayMs?: number;
  /** Segments kept after they left the window (default window + 1). */
  retainSegments?: number;
  ladder?: readonly LiveRendition[];
  /** ffmpeg's scratch folder (default a new temporary folder, removed on stop). */
  workDir?: string;
  /** About twice a second: what is published and how fast ffmpeg encodes. */
  onProgress?: (p: LiveProgress) => void;
  /** An archive write failed; the uploader tries again on the next pass. */
  onWarning?: (err: unknown) => void;
  /** How often the uploader looks at ffmpeg's folder (default 200 ms). */
  pollMs?: number;
  run?: ToolRunner;
}

export interface LiveProgress extends LiveUploadStats {
  /** ffmpeg's speed as a multiple of real time; below 1 the stream falls behind the wall clock. */
  speed?: number;
  elapsedMs: number;
}

/** A running live stream. */
export interface LiveStream {
  name: string;
  /** Its archive keys (`master`, `playlist(r)`, `segment(r, f)`, `root`), `mediaPath` and `videoId`. */
  keys: ReturnType<typeof liveKeys>;
  renditions: string[];
  /** Resolves once the master playlist is published (the stream can be played). */
  ready: Promise<void>;
  /** Settles when the stream has ended: after stop(), or rejected when ffmpeg failed. */
  done: Promise<LiveUploadStats>;
  /** Stops ffmpeg, publishes what is left and the playlists with EXT-X-ENDLIST, frees the name. */
  stop(): Promise<LiveUploadStats>;
}

function stoppedBySignal(err: unknown): boolean {
  if (!(err instanceof FfmpegError)) return false;
  return err.signal === "SIGINT" || err.signal === "SIGTERM" || err.exitStatus === 255;
}

/** Whether an executable of that name is on PATH (or is that path). */
export async function findOnPath(tool: string, path = process.env.PATH ?? ""): Promise<string | undefined> {
  const candidates = isAbsolute(tool)
    ? [tool]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, tool));
  for (const c of candidates)
    if (
      await access(c, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return c;
  return undefined;
}

function range(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `${what} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

async function resolveInput(path: string | undefined, run: ToolRunner): Promise<LiveInput> {
  if (path === undefined) return { kind: "test" };
  const file = resolve(path);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw inputError("REELTIME_ERR_INPUT_NOT_FOUND", `no such input file: ${file}`);
  const info = await probe(run, file).catch((err) => {
    throw inputError("REELTIME_ERR_NOT_A_VIDEO", `${file} is not a media file ffprobe can read`, err);
  });
  if (!info.video) throw inputError("REELTIME_ERR_NO_VIDEO_STREAM", `${file} has no video stream to stream live`);
  return { kind: "file", path: file, hasAudio: !!info.audio };
}

/**
 * Starts a live HLS ladder: ffmpeg encodes (test source or a looped file, paced at real time)
 * into a scratch folder and a {@link LiveUploader} publishes it into the archive under
 * `media/live/<name>/`. The name is leased (REELTIME_ERR_LIVE_BUSY while another publisher
 * holds it); what an earlier run of the name left is removed first.
 */
export async function startLive(o: StartLiveOptions): Promise<LiveStream> {
  const name = checkLiveName(o.name);
  const keys = liveKeys(name);
  const segmentSeconds = range("--segment-seconds", o.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS, 1, 10);
  const window = range("--window", o.window ?? DEFAULT_LIVE_WINDOW, 2, 30);
  const delayMs = range("the delay (ms)", o.delayMs ?? 0, 0, 60_000);
  const ladder = o.ladder ?? LIVE_LADDER;
  const run = o.run ?? runTool;
  if (!o.run && !(await findOnPath("ffmpeg")))
    throw new ReeltimeError(
      "REELTIME_ERR_MISSING_TOOL",
      "ffmpeg is not installed (or not on PATH): apt-get install ffmpeg",
    );
  const input = await resolveInput(o.input, run);

  const lease = new LiveLease(o.archive, name);
  await lease.acquire();
  const ownDir = o.workDir === undefined;
  let dir = o.workDir ?? "";
  try {
    const old = await o.archive.list(`${keys.root}/`);
    if (old.length > 0) await o.archive.delete(old.map((x) => x.key));
    if (ownDir) dir = await mkdtemp(join(tmpdir(), `reeltime-live-${name}-`));
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }

  const started = Date.now();
  const uploader = new LiveUploader({
    archive: o.archive,
    name,
    dir,
    renditions: ladder.map((r) => r.name),
    window,
    segmentSeconds,
    delayMs,
    ...(o.retainSegments === undefined ? {} : { retainSegments: o.retainSegments }),
  });
  const abort = new AbortController();
  let speed: number | undefined;
  const encoder = run(
    "ffmpeg",
    liveFfmpegArgs({
      input,
      dir,
      segmentSeconds,
      listSize: liveLocalListSize(window, segmentSeconds, delayMs),
      ladder,
    }),
    {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.speed !== undefined) speed = p.speed;
      },
    },
  );

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  let lastRenew = Date.now();
  let busy: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const stats = await uploader.sync();
      if (stats.masterPublished) markReady();
      if (Date.now() - lastRenew > 3000) {
        lastRenew = Date.now();
        await lease.renew();
      }
      o.onProgress?.({ ...stats, ...(speed === undefined ? {} : { speed }), elapsedMs: Date.now() - started });
    } catch (err) {
      o.onWarning?.(err);
    }
  };
  const timer = setInterval(() => {
    busy = busy.then(pass);
  }, o.pollMs ?? 200);

  let ending: Promise<LiveUploadStats> | undefined;
  const end = (failure?: unknown): Promise<LiveUploadStats> => {
    ending ??= (async () => {
      clearInterval(timer);
      abort.abort();
      await encoder.catch(() => undefined);
      await busy;
      let stats: LiveUploadStats;
      try {
        stats = await uploader.finish();
      } finally {
        await lease.release().catch(() => undefined);
        if (ownDir) await rm(dir, { recursive: true, force: true });
      }
      if (failure !== undefined) throw failure;
      return stats;
    })();
    return ending;
  };
  // ffmpeg ending on its own (a bad file, a crash) ends the stream with its error.
  const done = encoder.then(
    () => end(new ReeltimeError("REELTIME_ERR_FFMPEG", "ffmpeg ended the live stream on its own")),
    // Ctrl-C in a terminal signals ffmpeg too (same process group): stopped by a signal is a stop.
    (err) => (abort.signal.aborted || stoppedBySignal(err) ? end() : end(err)),
  );
  done.catch(() => undefined);
  const readyOrEnded = Promise.race([ready, done.then(() => undefined)]);
  readyOrEnded.catch(() => undefined);
  return {
    name,
    keys,
    renditions: ladder.map((r) => r.name),
    ready: readyOrEnded,
    done,
    stop: () => end(),
  };
}
