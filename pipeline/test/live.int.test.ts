// Integration (real ffmpeg; the filesystem archive, then real S3 on SeaweedFS's reeltime-media
// bucket): a test-source live ladder runs ~12 s while the published media playlists are read
// four times a second. The window holds at most `window` segments, the media sequence rises,
// every segment has a PROGRAM-DATE-TIME, lasts 2 s +- 0.1 and starts where the previous ended,
// the published edge's PDT is within about a second of the wall clock when first read, ffmpeg
// keeps up with real time, and segments that left the window (beyond the retained ones) are gone
// from storage. Stopping closes the playlists with EXT-X-ENDLIST and frees the name.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive } from "@reeltime/connectors";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { type LiveProgress, startLive } from "../src/live/live.ts";
import { type LiveSegment, parseLivePlaylist } from "../src/live/playlist.ts";

const WINDOW = 3;
const RETAIN = 1;
const RUN_MS = 12_000;

async function fsArchive(): Promise<{ archive: Archive; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-live-int-"));
  const archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "fs", REELTIME_DATA_DIR: dir }));
  return { archive, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function s3Archive(): Promise<{ archive: Archive; cleanup(): Promise<void> }> {
  const archive = await createArchive(
    loadEnv(ConnectionEnv, {
      ...process.env,
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_ENDPOINT: LOCAL_ENDPOINTS.s3.endpoint,
      REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.media,
    }),
  );
  return { archive, cleanup: async () => undefined };
}

const text = async (archive: Archive, key: string) => new TextDecoder().decode(await archive.get(key));

describe.each([
  ["the filesystem archive", fsArchive],
  ["S3 (SeaweedFS, reeltime-media)", s3Archive],
])("a live ladder into %s", (_label, make) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("keeps a sliding window of 2 s segments, each with a PDT close to the wall clock, and deletes what left it", async () => {
    const { archive, cleanup } = await make();
    await archive.start();
    cleanups.push(
      () => archive.shutdown(),
      () => cleanup(),
    );
    const name = `int-${Date.now().toString(36)}`;
    const progress: LiveProgress[] = [];
    const warnings: unknown[] = [];
    const stream = await startLive({
      archive,
      name,
      window: WINDOW,
      retainSegments: RETAIN,
      onProgress: (p) => progress.push(p),
      onWarning: (err) => warnings.push(err),
    });
    try {
      await stream.ready;
      const master = await text(archive, stream.keys.master);
      expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(2);
      expect(master).toContain("360p/index.m3u8");
      expect(master).toContain("240p/index.m3u8");

      // Read the 360p playlist four times a second for RUN_MS.
      const seen = new Map<number, LiveSegment & { firstReadAt: number }>();
      const sequences: number[] = [];
      const started = Date.now();
      while (Date.now() - started < RUN_MS) {
        const body = await text(archive, stream.keys.playlist("360p"));
        const readAt = Date.now();
        const segs = parseLivePlaylist(body);
        expect(segs.length).toBeGreaterThan(0);
        expect(segs.length).toBeLessThanOrEqual(WINDOW);
        // Every segment the playlist names carries a PDT (parseLivePlaylist drops one without).
        expect(body.match(/#EXT-X-PROGRAM-DATE-TIME:/g)).toHaveLength(body.match(/#EXTINF:/g)!.length);
        expect(body).not.toContain("#EXT-X-ENDLIST");
        const mediaSequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body)![1]);
        expect(mediaSequence).toBe(segs[0]!.seq);
        if (sequences.length > 0) expect(mediaSequence).toBeGreaterThanOrEqual(sequences.at(-1)!);
        sequences.push(mediaSequence);
        for (const s of segs) if (!seen.has(s.seq)) seen.set(s.seq, { ...s, firstReadAt: readAt });
        await new Promise((r) => setTimeout(r, 250));
      }

      const all = [...seen.values()].sort((a, b) => a.seq - b.seq);
      expect(all.length).toBeGreaterThanOrEqual(5);
      expect(sequences.at(-1)!).toBeGreaterThan(sequences[0]!);
      // Media sequence numbers start at the Unix time of the start (never reused by a restart).
      expect(Math.abs(all[0]!.seq - Date.now() / 1000)).toBeLessThan(60);
      for (const [i, s] of all.entries()) {
        expect(s.seq).toBe(all[0]!.seq + i);
        expect(Math.abs(s.duration - 2)).toBeLessThanOrEqual(0.1);
        if (i > 0) expect(Math.abs(s.pdtMs - (all[i - 1]!.pdtMs + all[i - 1]!.duration * 1000))).toBeLessThan(100);
      }
      // The newest segment's end (PDT + duration) against the wall clock when it was first read:
      // the poll adds up to 250 ms (and an S3 read a little more).
      const fresh = all.filter((s) => s.seq > all[0]!.seq);
      for (const s of fresh) {
        const lag = s.firstReadAt - (s.pdtMs + s.duration * 1000);
        expect(lag).toBeGreaterThan(-300);
        expect(lag).toBeLessThan(1500);
      }
      // As the uploader measured it at publication.
      const lags = progress.map((p) => p.edgeLagMs).filter((x): x is number => x !== undefined);
      expect(Math.max(...lags.slice(-10).map(Math.abs))).toBeLessThan(1000);
      // ffmpeg keeps up: paced by -re, its speed sits at 1.0x when the machine is fast enough.
      const speeds = progress.map((p) => p.speed).filter((x): x is number => x !== undefined);
      expect(speeds.at(-1)!).toBeGreaterThanOrEqual(0.97);

      // Storage holds the window plus the retained segments; the first ones are gone.
      for (const r of stream.renditions) {
        const stored = (await archive.list(`${stream.keys.root}/${r}/`)).filter((o) => o.key.endsWith(".ts"));
        expect(stored.length).toBeLessThanOrEqual(WINDOW + RETAIN + 1);
        expect(await archive.exists(stream.keys.segment(r, all[0]!.uri))).toBe(false);
        const current = parseLivePlaylist(await text(archive, stream.keys.playlist(r)));
        for (const s of current) expect(await archive.exists(stream.keys.segment(r, s.uri))).toBe(true);
      }
      expect(progress.at(-1)!.deleted).toBeGreaterThan(0);
      expect(warnings).toEqual([]);
    } finally {
      const stats = await stream.stop();
      expect(stats.published).toBeGreaterThan(0);
    }
    const ended = await text(archive, stream.keys.playlist("360p"));
    expect(ended.endsWith("#EXT-X-ENDLIST\n")).toBe(true);
    expect(await archive.exists(stream.keys.lease)).toBe(false);
    // The bucket is shared: leave nothing behind.
    await archive.delete((await archive.list(`${stream.keys.root}/`)).map((o) => o.key));
  });
});
