import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PutOptions } from "@reeltime/connectors";
import { MemoryArchive } from "@reeltime/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseLivePlaylist, renderLivePlaylist } from "../../src/live/playlist.ts";
import { LiveUploader, PLAYLIST_CACHE_CONTROL, SEGMENT_CACHE_CONTROL } from "../../src/live/uploader.ts";

const T0 = Date.parse("2026-12-04T12:00:00.000Z");
const RENDITIONS = ["360p", "240p"];

/** An archive that remembers the order of writes and deletes, with their options. */
class LoggingArchive extends MemoryArchive {
  readonly log: { op: "put" | "delete"; key: string; options?: PutOptions }[] = [];
  override async put(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    this.log.push({ op: "put", key, ...(options ? { options } : {}) });
    return super.put(key, body, options);
  }
  override async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.log.push({ op: "delete", key });
    return super.delete(keys);
  }
  text(key: string): string {
    return new TextDecoder().decode(this.objects.get(key)!.body);
  }
  segments(rendition: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(`media/live/demo/${rendition}/seg_`)).sort();
  }
}

let dir: string;
let now: number;
let archive: LoggingArchive;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-live-uploader-"));
  now = T0;
  archive = new LoggingArchive();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** What ffmpeg has written once segments first..last (2 s each) are complete: files and its playlist. */
async function ffmpegWrote(first: number, last: number, listSize = 20): Promise<void> {
  const from = Math.max(first, last - listSize + 1);
  for (const r of RENDITIONS) {
    await mkdir(join(dir, r), { recursive: true });
    const segs = [];
    for (let seq = from; seq <= last; seq++) {
      segs.push({ seq, uri: `seg_${seq}.ts`, duration: 2, pdtMs: T0 + (seq - 100) * 2000 });
      await writeFile(join(dir, r, `seg_${seq}.ts`), `${r} ${seq}`);
    }
    await writeFile(join(dir, r, "index.m3u8"), renderLivePlaylist(segs, 2));
  }
  await writeFile(
    join(dir, "master.m3u8"),
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=985600\n360p/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=400400\n240p/index.m3u8\n",
  );
}

function uploader(o: { window?: number; delayMs?: number; retainSegments?: number } = {}) {
  return new LiveUploader({
    archive,
    name: "demo",
    dir,
    renditions: RENDITIONS,
    window: o.window ?? 3,
    segmentSeconds: 2,
    now: () => now,
    ...(o.delayMs === undefined ? {} : { delayMs: o.delayMs }),
    ...(o.retainSegments === undefined ? {} : { retainSegments: o.retainSegments }),
  });
}

describe("LiveUploader", () => {
  it("publishes segments first, then the media playlist, then the master once every rendition has one", async () => {
    await ffmpegWrote(100, 101);
    const up = uploader();
    now = T0 + 4100;
    const stats = await up.sync();
    expect(archive.log.map((e) => e.key)).toEqual([
      "media/live/demo/360p/seg_100.ts",
      "media/live/demo/360p/seg_101.ts",
      "media/live/demo/360p/index.m3u8",
      "media/live/demo/240p/seg_100.ts",
      "media/live/demo/240p/seg_101.ts",
      "media/live/demo/240p/index.m3u8",
      "media/live/demo/master.m3u8",
    ]);
    expect(stats).toMatchObject({ published: 4, deleted: 0, lastSequence: 101, masterPublished: true, edgeLagMs: 100 });
    const byKey = new Map(archive.log.map((e) => [e.key, e.options]));
    expect(byKey.get("media/live/demo/360p/index.m3u8")).toEqual({
      contentType: "application/vnd.apple.mpegurl",
      cacheControl: PLAYLIST_CACHE_CONTROL,
    });
    expect(byKey.get("media/live/demo/master.m3u8")?.cacheControl).toBe(PLAYLIST_CACHE_CONTROL);
    expect(byKey.get("media/live/demo/240p/seg_101.ts")).toEqual({
      contentType: "video/mp2t",
      cacheControl: SEGMENT_CACHE_CONTROL,
    });
    expect(archive.text("media/live/demo/240p/seg_101.ts")).toBe("240p 101");
    // Nothing new: nothing written.
    archive.log.length = 0;
    await up.sync();
    expect(archive.log).toEqual([]);
  });

  it("waits for every rendition's first playlist before the master", async () => {
    await mkdir(join(dir, "360p"), { recursive: true });
    await writeFile(join(dir, "360p", "seg_100.ts"), "x");
    await writeFile(
      join(dir, "360p", "index.m3u8"),
      renderLivePlaylist([{ seq: 100, uri: "seg_100.ts", duration: 2, pdtMs: T0 }], 2),
    );
    await writeFile(join(dir, "master.m3u8"), "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n");
    const stats = await uploader().sync();
    expect(stats.masterPublished).toBe(false);
    expect(await archive.exists("media/live/demo/master.m3u8")).toBe(false);
  });

  it("keeps a sliding window: the playlist names the last `window` segments, the media sequence rises, old segments are deleted", async () => {
    const up = uploader({ window: 3, retainSegments: 1 });
    const sequences: number[] = [];
    for (let last = 100; last < 110; last++) {
      await ffmpegWrote(100, last, 6);
      now = T0 + (last - 99) * 2000;
      await up.sync();
      for (const r of RENDITIONS) {
        const segs = parseLivePlaylist(archive.text(`media/live/demo/${r}/index.m3u8`));
        expect(segs.length).toBe(Math.min(3, last - 99));
        expect(segs.at(-1)!.seq).toBe(last);
        // Every segment the playlist names is in storage.
        for (const s of segs) expect(await archive.exists(`media/live/demo/${r}/${s.uri}`)).toBe(true);
        // The window plus one retained, no more.
        expect(archive.segments(r).length).toBeLessThanOrEqual(4);
      }
      sequences.push(parseLivePlaylist(archive.text("media/live/demo/360p/index.m3u8"))[0]!.seq);
    }
    expect(sequences).toEqual([100, 100, 100, 101, 102, 103, 104, 105, 106, 107]);
    expect(archive.segments("360p")).toEqual([106, 107, 108, 109].map((n) => `media/live/demo/360p/seg_${n}.ts`));
    expect(up.stats).toMatchObject({ published: 20, deleted: 12 });
    // A segment is deleted only after the playlist that no longer names it was written.
    const log = archive.log.map((e) => `${e.op} ${e.key}`);
    const firstDelete = log.indexOf("delete media/live/demo/360p/seg_100.ts");
    const dropped = log.findIndex(
      (e, i) =>
        e === "put media/live/demo/360p/index.m3u8" &&
        i < firstDelete &&
        log.slice(0, i).includes("put media/live/demo/360p/seg_103.ts"),
    );
    expect(firstDelete).toBeGreaterThan(dropped);
    expect(dropped).toBeGreaterThan(0);
  });

  it("retains window + 1 segments after the window by default (RFC 8216 6.2.2)", async () => {
    const up = uploader({ window: 3 });
    for (let last = 100; last < 112; last++) {
      await ffmpegWrote(100, last, 12);
      await up.sync();
    }
    expect(archive.segments("240p")).toHaveLength(3 + 4);
  });

  it("holds each segment back for delayMs after ffmpeg listed it", async () => {
    const up = uploader({ delayMs: 4000 });
    await ffmpegWrote(100, 100);
    now = T0 + 2000;
    await up.sync();
    expect(archive.segments("360p")).toEqual([]);
    now = T0 + 3999;
    await up.sync();
    expect(archive.segments("360p")).toEqual([]);
    await ffmpegWrote(100, 101);
    now = T0 + 6000;
    const s = await up.sync();
    // seg 100 was seen at 2000, so it is out at 6000; seg 101 was seen only now.
    expect(archive.segments("360p")).toEqual(["media/live/demo/360p/seg_100.ts"]);
    expect(parseLivePlaylist(archive.text("media/live/demo/360p/index.m3u8")).map((x) => x.seq)).toEqual([100]);
    expect(s.edgeLagMs).toBe(4000);
    now = T0 + 10_000;
    await up.sync();
    expect(archive.segments("360p")).toHaveLength(2);
  });

  it("finishes with everything held back published and EXT-X-ENDLIST on every playlist", async () => {
    const up = uploader({ delayMs: 60_000 });
    await ffmpegWrote(100, 102);
    await up.sync();
    expect(archive.segments("360p")).toEqual([]);
    const stats = await up.finish();
    expect(stats.published).toBe(6);
    for (const r of RENDITIONS)
      expect(archive.text(`media/live/demo/${r}/index.m3u8`).endsWith("#EXT-X-ENDLIST\n")).toBe(true);
  });

  it("starts the window over when ffmpeg removed a segment before it was published", async () => {
    const up = uploader();
    await ffmpegWrote(100, 101);
    await up.sync();
    await ffmpegWrote(100, 103);
    await unlink(join(dir, "360p", "seg_102.ts"));
    await up.sync();
    const segs = parseLivePlaylist(archive.text("media/live/demo/360p/index.m3u8"));
    expect(segs.map((s) => s.seq)).toEqual([103]);
    expect(archive.segments("360p")).toEqual(["media/live/demo/360p/seg_103.ts"]);
  });
});
