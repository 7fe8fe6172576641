// Hermetic: what an uploader reads when the upload is not a video names the upload, never the
// worker's scratch path (ffprobe stands in: it fails the way it does on such input).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolRunner } from "../src/ffmpeg/run.ts";
import { inspectInput } from "../src/input/inspect.ts";
import { DEFAULT_LIMITS } from "../src/input/limits.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-inspect-label-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tools = { ffmpeg: "ffmpeg", ffprobe: "ffprobe" };
const KEY = "uploads/shop/vid-1/source.mp4";

describe("input errors name the upload", () => {
  it("a text file: the message names the object key, not the scratch path", async () => {
    const path = join(dir, "source.mp4");
    await writeFile(path, "this is not a video\n".repeat(20));
    const run: ToolRunner = async () => {
      throw new Error(`${path}: Invalid data found when processing input`);
    };
    const err = (await inspectInput(run, path, DEFAULT_LIMITS, tools, undefined, KEY).catch((e) => e)) as Error;
    expect(err.message).toContain(`${KEY} is not a video (a text file)`);
    expect(err.message).not.toContain(dir);
  });

  it("a file that looks like MP4 but does not probe: ffprobe's own words carry the key too", async () => {
    const path = join(dir, "cut.mp4");
    // An ftyp box, then nothing: sniffed as MP4, unreadable.
    await writeFile(path, Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypisom"), Buffer.alloc(12)]));
    const run: ToolRunner = async () => {
      throw new Error(`ffprobe failed: ${path}: moov atom not found`);
    };
    const err = (await inspectInput(run, path, DEFAULT_LIMITS, tools, undefined, KEY).catch((e) => e)) as Error;
    expect(err.message).toContain(`${KEY} looks like`);
    expect(err.message).toContain(`${KEY}: moov atom not found`);
    expect(err.message).not.toContain(dir);
  });

  it("without a label the path is the name (the CLI's transcode FILE)", async () => {
    const path = join(dir, "notes.mp4");
    await writeFile(path, "plain text\n".repeat(20));
    const run: ToolRunner = async () => {
      throw new Error("Invalid data found when processing input");
    };
    const err = (await inspectInput(run, path, DEFAULT_LIMITS, tools).catch((e) => e)) as Error;
    expect(err.message).toContain(`${path} is not a video`);
  });
});
