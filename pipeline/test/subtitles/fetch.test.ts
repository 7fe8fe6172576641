// Hermetic (filesystem archive): the subtitle files the upload API attached beside a source are
// what the worker and the watcher hand the job, and the watcher never takes one for a source.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { fetchUploadSubtitles, isUploadSubtitleKey } from "../../src/subtitles/fetch.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("subtitles attached to an upload", () => {
  it("are downloaded per language from subtitles/ beside the source, named by their keys", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-subs-fetch-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const archive = await createArchive({
      ...loadEnv(ConnectionEnv, {}),
      REELTIME_DATA_DIR: join(dir, "data"),
      REELTIME_ARCHIVE: "fs",
    });
    await archive.start();
    cleanups.push(() => archive.shutdown());
    const put = (key: string, text: string) => archive.put(key, new TextEncoder().encode(text));
    await put("uploads/shop/vid-1/source.mp4", "video");
    await put("uploads/shop/vid-1/subtitles/en.vtt", "WEBVTT\n");
    await put("uploads/shop/vid-1/subtitles/pt-BR.vtt", "WEBVTT pt\n");
    await put("uploads/shop/vid-1/subtitles/notes.txt", "not a subtitle");
    await put("uploads/shop/vid-1/subtitles/english.vtt", "not a language");
    await put("uploads/shop/vid-2/subtitles/fr.vtt", "another video's");

    const work = join(dir, "work");
    const got = await fetchUploadSubtitles(archive, "uploads/shop/vid-1/source.mp4", work);
    expect(got).toEqual([
      {
        language: "en",
        name: "English",
        path: join(work, "subtitles", "en.vtt"),
        label: "uploads/shop/vid-1/subtitles/en.vtt",
      },
      {
        language: "pt-BR",
        name: "Brazilian Portuguese",
        path: join(work, "subtitles", "pt-BR.vtt"),
        label: "uploads/shop/vid-1/subtitles/pt-BR.vtt",
      },
    ]);
    expect(await readFile(got[1]!.path, "utf8")).toBe("WEBVTT pt\n");
    // A key not of the upload API's shape has no subtitles folder of its own.
    expect(await fetchUploadSubtitles(archive, "uploads/clip.mp4", work)).toEqual([]);
  });

  it("are told apart from sources by their keys", () => {
    expect(isUploadSubtitleKey("uploads/shop/vid-1/subtitles/en.vtt")).toBe(true);
    expect(isUploadSubtitleKey("uploads/shop/vid-1/source.mp4")).toBe(false);
    expect(isUploadSubtitleKey("uploads/subtitles/en.vtt")).toBe(false);
  });
});
