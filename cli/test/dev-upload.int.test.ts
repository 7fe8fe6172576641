// Integration tier (ffmpeg): on the embedded default, a clip uploaded through the demo page's
// client becomes ready — the upload API takes the parts into the filesystem archive, publishes
// upload.completed, the pipeline worker of `reeltime dev` transcodes it, the catalogue marks it
// ready and its HLS ladder is served.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevHandle, startDev } from "../src/dev/server.ts";
import { uploadVideo } from "../src/dev/upload-client.ts";

let dir: string;
let dev: DevHandle;
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-dev-upload-int-"));
  clip = join(dir, "upload.mp4");
  // 6 s, 640x360: the ladder gives 360p and 240p.
  const ff = spawnSync("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=6"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:duration=6"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip],
  ]);
  expect(ff.status, String(ff.stderr)).toBe(0);
  dev = await startDev({
    port: 0,
    host: "127.0.0.1",
    dataDir: join(dir, "data"),
    video: false,
    print: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("npm start: the demo page uploads a file and watches it become ready", { timeout: 300_000 }, () => {
  it("uploaded → processing → ready, with renditions and a playable master playlist", async () => {
    const bytes = await readFile(clip);
    const file = new File([bytes], "upload.mp4", { type: "video/mp4" });
    const done = await uploadVideo({ endpoint: dev.url, writeKey: dev.writeKey, file, title: "Uploaded clip" });
    expect(done.state).toBe("completed");

    const statuses: string[] = [];
    let row: Record<string, unknown> = {};
    const deadline = Date.now() + 240_000;
    while (row.status !== "ready" && row.status !== "failed" && Date.now() < deadline) {
      const res = await fetch(`${dev.url}/v1/videos/${done.video_id}`, {
        headers: { authorization: `Bearer ${dev.readToken}` },
      });
      if (res.status === 200) {
        row = (await res.json()) as Record<string, unknown>;
        if (statuses.at(-1) !== row.status) statuses.push(String(row.status));
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(row.status, JSON.stringify(row)).toBe("ready");
    expect(statuses.at(-1)).toBe("ready");
    expect(row).toMatchObject({
      title: "Uploaded clip",
      upload_id: done.upload_id,
      // The CMAF package's two manifests (sorted): the DASH MPD and the HLS master playlist.
      manifests: [`media/${done.video_id}/manifest.mpd`, `media/${done.video_id}/master.m3u8`],
    });
    expect((row.renditions as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(Number(row.upload_to_ready_ms)).toBeGreaterThan(0);
    const master = await fetch(`${dev.url}/media/${done.video_id}/master.m3u8`);
    expect(master.status).toBe(200);
    expect(await master.text()).toContain("#EXT-X-STREAM-INF");

    // The live view's catalogue panel counts it and times it.
    const stats = await fetch(`${dev.url}/v1/catalogue/stats?minutes=60`, {
      headers: { authorization: `Bearer ${dev.readToken}` },
    });
    const body = (await stats.json()) as { counts: Record<string, number>; upload_to_ready: { videos: number } };
    expect(body.counts.ready).toBeGreaterThanOrEqual(1);
    expect(body.upload_to_ready.videos).toBeGreaterThanOrEqual(1);
  });
});
