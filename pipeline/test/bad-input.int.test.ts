import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { INPUT_ERRORS } from "../src/errors.ts";
import { type PipelineOptions, TranscodePipeline } from "../src/pipeline.ts";
import { makeAudioOnly, makeClip } from "./helpers/clips.ts";
import { expectValidSequence, testDeps } from "./helpers/setup.ts";

let dir: string;
let clip: string;

beforeAll(async () => {
  ({ dir } = await testDeps());
  clip = await makeClip({ width: 320, height: 240, seconds: 4 });
});

async function expectRefused(source: string, code: string, reason: RegExp, options: PipelineOptions = {}) {
  const { bus, archive } = await testDeps();
  const started = performance.now();
  const result = await new TranscodePipeline({ bus, archive }, { ladder: ["240p"], ...options }).run({
    source,
    jobId: "job-bad",
    videoId: "bad",
  });
  expect(performance.now() - started).toBeLessThan(5000);
  expect(result.status).toBe("failed");
  const events = expectValidSequence(bus, "job-bad");
  expect(events.map((e) => e.event_type)).toEqual(["job.created", "job.step_started", "job.step_failed", "job.failed"]);
  const failed = events.at(-1)!;
  expect(failed.job).toMatchObject({ status: "failed", step: "probe", error: { code } });
  expect(failed.job.error!.message).toMatch(reason);
  expect(await archive.list("media/")).toEqual([]);
}

describe("bad input fails fast with a clear job.failed reason", { timeout: 30_000 }, () => {
  it("a text file renamed .mp4 is not a video", async () => {
    const path = join(dir, "notes.mp4");
    await writeFile(path, "These are my meeting notes, not a video.\n".repeat(20));
    await expectRefused(path, INPUT_ERRORS.notAVideo, /is not a video \(a text file\)/);
  });

  it("random bytes are not a video", async () => {
    const path = join(dir, "noise.mp4");
    await writeFile(
      path,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256),
    );
    await expectRefused(path, INPUT_ERRORS.notAVideo, /not a known video container/);
  });

  it("a zero-length file is empty", async () => {
    const path = join(dir, "empty.mp4");
    await writeFile(path, "");
    await expectRefused(path, INPUT_ERRORS.empty, /is empty \(0 bytes\)/);
  });

  it("a missing file is reported as such", async () => {
    await expectRefused(join(dir, "nope.mp4"), INPUT_ERRORS.notFound, /no file at/);
  });

  it("a truncated MP4 (index at the end, cut short) is corrupt", async () => {
    const bytes = await readFile(clip);
    const path = join(dir, "truncated.mp4");
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(path, INPUT_ERRORS.corrupt, /corrupt or truncated/);
  });

  it("a truncated MP4 whose index survived (faststart) is corrupt: its end does not decode", async () => {
    const faststart = await makeClip({
      width: 320,
      height: 240,
      seconds: 4,
      codec: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
    });
    const bytes = await readFile(faststart);
    const path = join(dir, "truncated-faststart.mp4");
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectRefused(path, INPUT_ERRORS.corrupt, /its end does not decode/);
  });

  it("an audio-only file has no video stream (with the audio-only ladder turned off)", async () => {
    await expectRefused(await makeAudioOnly(), INPUT_ERRORS.noVideoStream, /audio \(aac\) but no video stream/, {
      audioOnly: "never",
    });
  });

  it("an unsupported video codec is named with the ones that are supported", async () => {
    const snow = await makeClip({
      width: 160,
      height: 96,
      seconds: 1,
      audio: false,
      codec: ["-c:v", "snow"],
      ext: "mkv",
    });
    await expectRefused(
      snow,
      INPUT_ERRORS.unsupportedCodec,
      /video codec "snow" is not supported; re-encode to one of: h264/,
    );
  });

  it("a still image is not a video", async () => {
    const { execFile } = await import("node:child_process");
    const path = join(dir, "still.mp4");
    const png = join(dir, "still.png");
    await new Promise((res, rej) =>
      execFile(
        "ffmpeg",
        ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", png],
        (e) => (e ? rej(e) : res(null)),
      ),
    );
    await copyFile(png, path);
    await expectRefused(path, INPUT_ERRORS.unsupportedCodec, /still image \(png\)/);
  });

  it("an absurd resolution is refused by the probe limits", async () => {
    await expectRefused(clip, INPUT_ERRORS.absurdResolution, /resolution 320x240 is outside the accepted range/, {
      limits: { maxSide: 256 },
    });
  });

  it("an absurd duration is refused by the probe limits", async () => {
    await expectRefused(clip, INPUT_ERRORS.absurdDuration, /duration 4\.0 s is outside the accepted range/, {
      limits: { maxDurationMs: 2000 },
    });
  });
});
