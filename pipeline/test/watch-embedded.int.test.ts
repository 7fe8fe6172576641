import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { TranscodePipeline } from "../src/pipeline.ts";
import { UploadWatcher } from "../src/watch.ts";
import { makeClip } from "./helpers/clips.ts";
import { testDeps } from "./helpers/setup.ts";

describe("UploadWatcher", { timeout: 60_000 }, () => {
  it("processes each upload under the prefix once and records it, bad ones included", async () => {
    const { bus, archive } = await testDeps();
    const clip = await readFile(await makeClip({ width: 320, height: 240, seconds: 2 }));
    await archive.put("uploads/My_Clip+1.mp4", clip);
    await archive.put("uploads/notes.mp4", new TextEncoder().encode("not a video at all\n"));
    await archive.put("elsewhere/ignored.mp4", clip);
    const pipeline = new TranscodePipeline({ bus, archive }, { ladder: ["240p"], segmentSeconds: 1 });
    const watcher = new UploadWatcher(archive, pipeline, { prefix: "uploads/" });

    const first = await watcher.pollOnce();
    expect(first.map((r) => [r.key, r.status, r.video_id, r.error_code])).toEqual([
      ["uploads/My_Clip+1.mp4", "completed", "My_Clip-1", undefined],
      ["uploads/notes.mp4", "failed", "notes", "REELTIME_ERR_NOT_A_VIDEO"],
    ]);
    expect(await archive.exists("media/My_Clip-1/master.m3u8")).toBe(true);
    const created = bus
      .events()
      .find((e) => e.event_type === "job.created" && e.job.source === "uploads/My_Clip+1.mp4");
    expect(created?.job.queue_wait_ms).toBeGreaterThanOrEqual(0);

    expect(await watcher.pollOnce()).toEqual([]);
    await archive.put("uploads/notes.mp4", clip);
    expect((await watcher.pollOnce()).map((r) => [r.key, r.status])).toEqual([["uploads/notes.mp4", "completed"]]);
  });
});
