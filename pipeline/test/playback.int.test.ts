import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JobResult, TranscodePipeline } from "../src/pipeline.ts";
import { makeClip } from "./helpers/clips.ts";
import { serveArchive } from "./helpers/serve.ts";
import { testDeps } from "./helpers/setup.ts";

interface PlayResult {
  ok: boolean;
  errors: string[];
  levels: number[];
  currentTime: number;
  duration: number;
  width: number;
  height: number;
}

describe("every rendition plays in hls.js in headless Chromium", () => {
  let result: JobResult;
  let server: Awaited<ReturnType<typeof serveArchive>>;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const { bus, archive } = await testDeps();
    const source = await makeClip({ width: 640, height: 360, seconds: 6 });
    result = await new TranscodePipeline({ bus, archive }, { segmentSeconds: 2 }).run({
      source,
      videoId: "playback-int",
    });
    expect(result.status).toBe("completed");
    server = await serveArchive(archive);
    profile = await mkdtemp(join(tmpdir(), "reeltime-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM.executablePath,
      headless: true,
      args: [...CHROMIUM.args],
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  async function play(path: string): Promise<PlayResult> {
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/`);
      return (await page.evaluate(
        ([src]) => (globalThis as unknown as { playHls: (s: string, r: number) => Promise<unknown> }).playHls(src!, 2),
        [`${server.url}/${path}`],
      )) as PlayResult;
    } finally {
      await page.close();
    }
  }

  it("plays each media playlist to the end at its own size", async () => {
    for (const r of result.renditions) {
      const played = await play(`media/playback-int/${r.name}/index.m3u8`);
      expect(played.errors.filter((e) => e.includes("fatal"))).toEqual([]);
      expect(played.ok).toBe(true);
      expect(played.currentTime).toBeGreaterThan(5.5);
      expect([played.width, played.height]).toEqual([r.width, r.height]);
    }
  });

  it("plays the master playlist to the end", async () => {
    const played = await play("media/playback-int/master.m3u8");
    expect(played.errors.filter((e) => e.includes("fatal"))).toEqual([]);
    expect(played.ok).toBe(true);
    expect(played.currentTime).toBeGreaterThan(5.5);
    expect(played.levels.length).toBeGreaterThan(0);
  });
});
