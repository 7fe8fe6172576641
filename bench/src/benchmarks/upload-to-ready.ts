import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus } from "@reeltime/connectors";
import { exampleEvent, TOPICS } from "@reeltime/events";
import { DEFAULT_LADDER, TranscodePipeline, TranscodeWorker } from "@reeltime/pipeline";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { median, round } from "../stats.ts";

const SEGMENT_SECONDS = 4;
const FPS = 30;
const PRESET = "veryfast";

/** Runs a program to the end; rejects with its stderr tail when it fails. */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on("error", (e) =>
      reject(
        new Error(
          `${cmd} could not start (${e.message}); install it (npx reeltime infra up installs ffmpeg) and run again`,
        ),
      ),
    );
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/** A 1080p30 clip with moving video and a tone, `seconds` long (x264, made once per run). */
async function makeClip(file: string, seconds: number): Promise<void> {
  await run("ffmpeg", [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error"],
    ...["-f", "lavfi", "-i", `testsrc2=size=1920x1080:rate=${FPS}`],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
    ...["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "128k", "-shortest", file],
  ]);
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * The baseline: what one would type by hand for the same ladder — one ffmpeg process, the
 * source decoded once and split into every rung (same sizes, bitrates, profile, preset, GOP
 * and 4 s HLS segments as the pipeline's renditions), with a master playlist.
 */
async function plainFfmpeg(source: string, out: string): Promise<number> {
  const rungs = DEFAULT_LADDER;
  const gop = FPS * SEGMENT_SECONDS;
  const split = `[0:v]fps=${FPS},split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join("")}`;
  const scales = rungs.map(
    (r, i) => `[s${i}]scale=${even((r.side * 16) / 9)}:${r.side},setsar=1,format=yuv420p[v${i}]`,
  );
  const args = [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-i", source],
    ...["-filter_complex", [split, ...scales].join(";")],
  ];
  rungs.forEach((r, i) => {
    args.push("-map", `[v${i}]`, "-map", "0:a:0");
    args.push(`-c:v:${i}`, "libx264", `-profile:v:${i}`, r.profile, `-b:v:${i}`, String(r.videoBps));
    args.push(`-maxrate:v:${i}`, String(Math.round(r.videoBps * 1.1)), `-bufsize:v:${i}`, String(r.videoBps * 2));
    args.push(`-c:a:${i}`, "aac", `-b:a:${i}`, String(r.audioBps), `-ac:a:${i}`, "2");
  });
  args.push(
    ...["-preset", PRESET, "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0"],
    ...["-f", "hls", "-hls_time", String(SEGMENT_SECONDS), "-hls_playlist_type", "vod"],
    ...["-hls_segment_filename", join(out, "v%v", "seg_%05d.ts"), "-master_pl_name", "master.m3u8"],
    ...["-var_stream_map", rungs.map((_, i) => `v:${i},a:${i}`).join(" "), join(out, "v%v", "index.m3u8")],
  );
  const started = performance.now();
  await run("ffmpeg", args);
  return (performance.now() - started) / 1000;
}

/**
 * The reeltime side: the upload lands in the archive, its upload.completed event goes on the
 * bus, and a transcode worker (the same one `reeltime pipeline worker` runs) takes it off the
 * upload topic and runs the pipeline (probe, renditions, thumbnails, metadata, master). Timed
 * from the publish to the worker's record of the finished job.
 */
async function reeltime(
  source: Uint8Array,
  dir: string,
  round: number,
): Promise<{ seconds: number; renditions: number }> {
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: dir };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  await bus.ensureTopics([
    { name: TOPICS.upload, partitions: 1 },
    { name: TOPICS.transcode, partitions: 1 },
    { name: TOPICS.job, partitions: 1 },
  ]);
  const video = `bench-clip-${round}`;
  const key = `uploads/bench/${video}/source.mp4`;
  await archive.put(key, source);
  const pipeline = new TranscodePipeline(
    { bus, archive },
    { appId: "bench", preset: PRESET, segmentSeconds: SEGMENT_SECONDS },
  );
  let finished: (r: { status: string }) => void = () => undefined;
  const done = new Promise<{ status: string }>((r) => {
    finished = r;
  });
  const worker = new TranscodeWorker({ bus, archive, pipeline }, { lagIntervalMs: 0, onJob: (r) => finished(r) });
  await worker.start();
  try {
    const e = exampleEvent("upload.completed");
    const event = {
      ...e,
      app_id: "bench",
      video: { id: video, title: "bench clip" },
      upload: { ...e.upload, id: `upl-${video}`, key, version: `v${round}`, bytes: source.byteLength },
    };
    const started = performance.now();
    await bus.publish(TOPICS.upload, [{ key: video, value: new TextEncoder().encode(JSON.stringify(event)) }]);
    const record = await done;
    const seconds = (performance.now() - started) / 1000;
    if (record.status !== "completed") throw new Error(`the job ended ${record.status}`);
    // One completion marker per rendition (a CMAF package also has audio playlists under <rendition>/audio/).
    const renditions = (await archive.list(`media/${video}/`)).filter((o) => o.key.endsWith("/rendition.json")).length;
    return { seconds, renditions };
  } finally {
    await worker.stop();
    await bus.shutdown();
    await archive.shutdown();
  }
}

/**
 * Upload completed → ready for a 1080p clip (default 60 s, `--events` sets the seconds) against
 * one plain ffmpeg command producing the same ladder, alternating rounds (`--rounds`). The
 * ratio is the orchestration overhead: reeltime's seconds ÷ ffmpeg's. Needs ffmpeg on PATH.
 */
export async function uploadToReady(o: BenchOptions): Promise<Result> {
  const seconds = or(o.events, 60);
  const dir = await mkdtemp(join(tmpdir(), "reeltime-bench-upload-"));
  try {
    const clip = join(dir, "clip.mp4");
    o.log(`making a ${seconds} s 1080p30 clip…`);
    await makeClip(clip, seconds);
    const source = await readFile(clip);
    const ours: number[] = [];
    const plain: number[] = [];
    let renditions = 0;
    for (let i = 0; i < o.rounds; i++) {
      const r = await reeltime(source, join(dir, `reeltime-${i}`), i);
      renditions = r.renditions;
      ours.push(r.seconds);
      o.log(`round ${i + 1}: reeltime ${r.seconds.toFixed(1)} s (${r.renditions} renditions)`);
      const out = join(dir, `ffmpeg-${i}`);
      await mkdir(out, { recursive: true });
      const p = await plainFfmpeg(clip, out);
      plain.push(p);
      const made = (await readdir(out)).filter((d) => d.startsWith("v")).length;
      o.log(`round ${i + 1}: plain ffmpeg ${p.toFixed(1)} s (${made} renditions)`);
    }
    const a = median(ours);
    const b = median(plain);
    return {
      name: "upload-to-ready",
      title: "Upload completed → ready (1080p clip) vs one plain ffmpeg command for the same ladder",
      workload: {
        clip: `${seconds} s 1920x1080 ${FPS} fps, x264 + AAC`,
        ladder: DEFAULT_LADDER.map((r) => r.name).join(", "),
        preset: PRESET,
        segment_seconds: SEGMENT_SECONDS,
        rounds: o.rounds,
      },
      rows: [
        { label: "reeltime (upload.completed → job completed)", figures: { "median s": round(a, 1), renditions } },
        {
          label: "plain ffmpeg (one process, same ladder)",
          figures: { "median s": round(b, 1), renditions: DEFAULT_LADDER.length },
        },
      ],
      ratio: { figure: "seconds", value: round(a / b, 2) },
      goal: { text: "report the orchestration overhead as a ratio (no target set by the issue)" },
      notes: [
        "reeltime also probes, makes thumbnails and metadata, checks every rendition and publishes job events; the plain command makes only the renditions and the master playlist",
        "reeltime runs renditions as separate ffmpeg processes (decoding the source once per rendition); the plain command decodes once and splits",
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
