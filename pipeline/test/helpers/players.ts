// Headless Chromium in front of an archive: the players page (helpers/serve.ts: hls.js, dash.js,
// Shaka Player) served over the archive's objects, shared by the integration tests that play packages.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { CHROMIUM } from "@reeltime/infra";
import { type BrowserContext, chromium } from "playwright-core";
import { expect } from "vitest";
import { serveArchive } from "./serve.ts";

/** What a players-page function resolves with (see helpers/serve.ts). */
export interface PlayResult {
  ok: boolean;
  errors: string[];
  times: number[];
  currentTime: number;
  duration: number;
  width: number;
  height: number;
  levels?: unknown[];
  rendered: { video?: string | number; audio?: string; level?: string };
  /** The [language, name] of every subtitle track the player lists (the *Subtitles functions). */
  subtitles?: [string, string][];
  /** The media element's text tracks that got cues. */
  cues?: { language: string; label: string; cues: [number, number, string][] }[];
}

export type PlayerFunction =
  | "playHlsLevel"
  | "playDash"
  | "playShaka"
  | "playHlsSubtitles"
  | "playDashSubtitles"
  | "playShakaSubtitles";

export interface Players {
  /** The server's origin: `${url}/media/<key>` serves an archive object. */
  url: string;
  context: BrowserContext;
  /** Runs one players-page function in a fresh page. */
  play(fn: PlayerFunction, args: unknown[]): Promise<PlayResult>;
  close(): Promise<void>;
}

/** Serves the archive and the players page on 127.0.0.1, and starts headless Chromium (a profile of its own). */
export async function openPlayers(archive: Archive): Promise<Players> {
  const server = await serveArchive(archive);
  const profile = await mkdtemp(join(tmpdir(), "reeltime-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM.executablePath,
    headless: true,
    args: [...CHROMIUM.args],
  });
  return {
    url: server.url,
    context,
    async play(fn, args) {
      const page = await context.newPage();
      try {
        await page.goto(`${server.url}/players.html`);
        return (await page.evaluate(
          ([name, a]) =>
            (globalThis as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[name as string]!(
              ...(a as unknown[]),
            ),
          [fn, args] as const,
        )) as PlayResult;
      } finally {
        await page.close();
      }
    },
    async close() {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Played to the end (currentTime past `minEnd` s) without an error, time advancing all along. */
export function expectPlayed(r: PlayResult, what: string, minEnd: number): void {
  expect(r.errors, what).toEqual([]);
  expect(r.ok, what).toBe(true);
  expect(r.currentTime, what).toBeGreaterThan(minEnd);
  const seen = r.times.filter((t) => t > 0);
  expect(seen.length, what).toBeGreaterThan(2);
  seen.forEach((t, i) => {
    if (i > 0) expect(t, what).toBeGreaterThanOrEqual(seen[i - 1]!);
  });
  expect(seen.at(-1)!, what).toBeGreaterThan(seen[0]!);
}
