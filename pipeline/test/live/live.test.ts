import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryArchive } from "@reeltime/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { formatLiveProgress } from "../../src/cli/live.ts";
import { cancelled, FfmpegError } from "../../src/errors.ts";
import type { ToolRunner } from "../../src/ffmpeg/run.ts";
import { findOnPath, startLive } from "../../src/live/live.ts";
import { renderLivePlaylist } from "../../src/live/playlist.ts";

const scratch: string[] = [];
afterEach(async () => {
  for (const d of scratch.splice(0)) await rm(d, { recursive: true, force: true });
});

/**
 * A stand-in for ffmpeg: writes two segments per rendition, their playlists and the master
 * where the arguments say, reports a speed, then runs until aborted (as runTool rejects then),
 * or fails with `fail`.
 */
function fakeFfmpeg(o: { fail?: boolean; seen?: { dir?: string } } = {}): ToolRunner {
  return async (_tool, args, options = {}) => {
    const pattern = args[args.indexOf("-hls_segment_filename") + 1]!;
    const dir = pattern.slice(0, -"/%v/seg_%d.ts".length);
    if (o.seen) o.seen.dir = dir;
    const now = Date.now();
    for (const r of ["360p", "240p"]) {
      await mkdir(join(dir, r), { recursive: true });
      const segs = [1000, 1001].map((seq, i) => ({
        seq,
        uri: `seg_${seq}.ts`,
        duration: 2,
        pdtMs: now - 4000 + i * 2000,
      }));
      for (const s of segs) await writeFile(join(dir, r, s.uri), `${r}${s.seq}`);
      await writeFile(join(dir, r, "index.m3u8"), renderLivePlaylist(segs, 2));
    }
    await writeFile(
      join(dir, "master.m3u8"),
      "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1\n240p/index.m3u8\n",
    );
    options.onProgress?.({ speed: 1.01, done: false });
    if (o.fail) {
      await new Promise((r) => setTimeout(r, 300));
      throw new FfmpegError("ffmpeg", 1, null, "Error opening input");
    }
    await new Promise<void>((r) => options.signal?.addEventListener("abort", () => r(), { once: true }));
    throw cancelled("ffmpeg stopped: the job was cancelled");
  };
}

describe("startLive", () => {
  it("refuses a bad name or settings before anything starts", async () => {
    const archive = new MemoryArchive();
    await expect(startLive({ archive, name: "../etc", run: fakeFfmpeg() })).rejects.toMatchObject({
      code: "REELTIME_ERR_USAGE",
    });
    await expect(startLive({ archive, name: "ok", window: 1, run: fakeFfmpeg() })).rejects.toMatchObject({
      code: "REELTIME_ERR_USAGE",
      message: expect.stringContaining("--window"),
    });
    await expect(startLive({ archive, name: "ok", segmentSeconds: 0, run: fakeFfmpeg() })).rejects.toMatchObject({
      code: "REELTIME_ERR_USAGE",
    });
    expect(archive.objects.size).toBe(0);
  });

  it("says ffmpeg is missing in one line when it is not on PATH (the unit tier's PATH has none)", async () => {
    const archive = new MemoryArchive();
    await expect(startLive({ archive, name: "demo" })).rejects.toMatchObject({
      code: "REELTIME_ERR_MISSING_TOOL",
      message: expect.stringMatching(/^ffmpeg is not installed .*apt-get install ffmpeg$/),
    });
    expect(archive.objects.size).toBe(0);
  });

  it("refuses a missing input file", async () => {
    await expect(
      startLive({ archive: new MemoryArchive(), name: "demo", input: "/no/such/file.mp4", run: fakeFfmpeg() }),
    ).rejects.toMatchObject({ code: "REELTIME_ERR_INPUT_NOT_FOUND" });
  });

  it("publishes, holds the name, and on stop closes the playlists, frees the name and removes its scratch folder", async () => {
    const archive = new MemoryArchive();
    // What an earlier run of the name left is removed.
    await archive.put("media/live/demo/360p/seg_1.ts", new Uint8Array([1]));
    const seen: { dir?: string } = {};
    const progress: { speed?: number; published: number }[] = [];
    const stream = await startLive({
      archive,
      name: "demo",
      run: fakeFfmpeg({ seen }),
      pollMs: 20,
      onProgress: (p) => progress.push(p),
    });
    await stream.ready;
    expect(await archive.exists("media/live/demo/master.m3u8")).toBe(true);
    expect(await archive.exists("media/live/demo/360p/seg_1.ts")).toBe(false);
    expect(await archive.exists("live/demo/lease.json")).toBe(true);
    await expect(startLive({ archive, name: "demo", run: fakeFfmpeg() })).rejects.toMatchObject({
      code: "REELTIME_ERR_LIVE_BUSY",
    });
    expect(progress.at(-1)).toMatchObject({ speed: 1.01, published: 4 });
    const stats = await stream.stop();
    expect(stats.published).toBe(4);
    const playlist = new TextDecoder().decode(await archive.get("media/live/demo/240p/index.m3u8"));
    expect(playlist.endsWith("#EXT-X-ENDLIST\n")).toBe(true);
    expect(await archive.exists("live/demo/lease.json")).toBe(false);
    await expect(stat(seen.dir!)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await stream.done).toEqual(stats);
  });

  it("ends with ffmpeg's error when ffmpeg fails on its own, and frees the name", async () => {
    const archive = new MemoryArchive();
    const stream = await startLive({ archive, name: "demo", run: fakeFfmpeg({ fail: true }), pollMs: 20 });
    await expect(stream.done).rejects.toMatchObject({
      code: "REELTIME_ERR_FFMPEG",
      message: expect.stringContaining("Error opening input"),
    });
    expect(await archive.exists("live/demo/lease.json")).toBe(false);
  });
});

describe("findOnPath", () => {
  it("finds an executable on a PATH, not a plain file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-live-path-"));
    scratch.push(dir);
    await writeFile(join(dir, "tool"), "#!/bin/sh\n");
    await writeFile(join(dir, "plain"), "");
    await chmod(join(dir, "tool"), 0o755);
    expect(await findOnPath("tool", `/nonexistent:${dir}`)).toBe(join(dir, "tool"));
    expect(await findOnPath("plain", dir)).toBeUndefined();
    expect(await findOnPath("missing", dir)).toBeUndefined();
  });
});

describe("the progress line", () => {
  it("shows segments, speed and the edge's lag, and warns when ffmpeg falls behind", () => {
    expect(
      formatLiveProgress({
        published: 12,
        deleted: 4,
        masterPublished: true,
        speed: 1,
        edgeLagMs: 240,
        elapsedMs: 30_400,
      }),
    ).toBe("live 30 s: 12 segments published, 4 deleted, speed 1.00x, edge 0.2 s behind");
    expect(formatLiveProgress({ published: 0, deleted: 0, masterPublished: false, elapsedMs: 900 })).toBe(
      "live 1 s: 0 segments published, 0 deleted, speed …, edge … behind",
    );
    expect(
      formatLiveProgress({ published: 9, deleted: 0, masterPublished: true, speed: 0.8, elapsedMs: 20_000 }),
    ).toContain("speed 0.80x (ffmpeg slower than real time)");
  });
});
