// The SDK as a frontend team gets it: the tarball of `npm pack -w player-sdk`, installed into a
// fresh project in a temporary folder that is not a workspace of this repository. A page that
// uses createTracker, hlsPlugin and clickPlugin type-checks under TypeScript `strict` (library
// checking on), is bundled with esbuild, plays an HLS stream in Chromium, and its events arrive
// at the real ingest API. A plain <script> page using the IIFE files passes the same way.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM } from "@reeltime/infra";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../scripts/bundles.ts";
import { type Collector, startCollector } from "./browser/collector.ts";
import { type MediaServer, startMediaServer } from "./browser/media-server.ts";
import { makeHlsStream } from "./browser/stream.ts";

const APP_ID = "outside";
const WRITE_KEY = "wk_outside_project_0123456789";
const repo = join(root, "..");
const versionOf = (pkg: string) =>
  (JSON.parse(readFileSync(join(repo, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;

let work: string;
let project: string;
let media: MediaServer;
let collector: Collector;
let context: BrowserContext;

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false" } });
  return { status: r.status, out: `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim() };
}
const node = (script: string, args: string[], cwd = project) =>
  run(process.execPath, [join(project, "node_modules", script), ...args], cwd);

const PAGE_TS = `import { createTracker, type EventOf, type PlaybackEvent, type ViewTotals } from "@reeltime/player-sdk";
import { clickPlugin } from "@reeltime/player-sdk/clicks";
import { hlsPlugin } from "@reeltime/player-sdk/hls";
import Hls from "hls.js";

declare global {
  interface Window {
    start(cfg: { endpoint: string; writeKey: string }): Promise<string | undefined>;
  }
}

// The wire types by name (the README promises them): narrowing on event_type reaches the payload.
export function describe(e: PlaybackEvent): string {
  if (e.event_type === "playback.heartbeat") {
    const beat: EventOf<"playback.heartbeat"> = e;
    return \`\${beat.event_type} \${beat.stats.playing_ms} ms\`;
  }
  return e.event_type;
}
export type Totals = ViewTotals;

window.start = (cfg) => {
  const video = document.getElementById("v") as HTMLVideoElement;
  const tracker = createTracker({
    endpoint: cfg.endpoint,
    writeKey: cfg.writeKey,
    appId: "${APP_ID}",
    plugins: [hlsPlugin({ version: Hls.version }), clickPlugin()],
    flushIntervalMs: 300,
  });
  const hls = new Hls();
  hls.loadSource("/hls/master.m3u8");
  hls.attachMedia(video);
  const attachment = tracker.attach(video, { hls, video: { id: "outside-video", title: "From outside" } });
  return video.play().then(() => attachment.viewId());
};
`;

// A misuse the types must catch: if they had degraded to \`any\`, this would compile.
const MISUSE_TS = `import { createTracker } from "@reeltime/player-sdk";
createTracker({ endpoint: 42, writeKey: "wk", appId: "a" });
`;

const HTML = (script: string) => `<!doctype html><html><body>
<video id="v" muted playsinline width="640" height="360"></video>
<button id="like" data-reeltime-click="like" data-reeltime-label="Like">Like</button>
${script}</body></html>`;

const IIFE_PAGE = HTML(`<script src="/lib/hls.min.js"></script>
<script src="/pkg/dist/iife/reeltime.min.js"></script>
<script src="/pkg/dist/iife/reeltime-hls.min.js"></script>
<script src="/pkg/dist/iife/reeltime-clicks.min.js"></script>
<script>
  window.start = (cfg) => {
    const video = document.getElementById("v");
    const tracker = Reeltime.createTracker({ endpoint: cfg.endpoint, writeKey: cfg.writeKey, appId: "${APP_ID}",
      plugins: [ReeltimeHls.hlsPlugin({ version: Hls.version }), ReeltimeClicks.clickPlugin()], flushIntervalMs: 300 });
    const hls = new Hls();
    hls.loadSource("/hls/master.m3u8");
    hls.attachMedia(video);
    const attachment = tracker.attach(video, { hls, video: { id: "outside-video", title: "From outside" } });
    return video.play().then(() => attachment.viewId());
  };
</script>`);

beforeAll(async () => {
  for (const bin of [CHROMIUM.executablePath, "/usr/bin/ffmpeg"])
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`reeltime infra up\``);
  work = mkdtempSync(join(tmpdir(), "reeltime-sdk-outside-"));
  project = join(work, "app");
  mkdirSync(project);
  expect(existsSync(join(project, "..", "package.json"))).toBe(false); // not inside any workspace

  // 1. The tarball, exactly as `npm publish` would upload it (prepack builds it).
  const pack = run("npm", ["pack", "-w", "player-sdk", "--pack-destination", work], repo);
  expect(pack.status, pack.out).toBe(0);
  const packed = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  expect(packed, pack.out).toHaveLength(1);
  const tarball = join(work, packed[0]!);

  // 2. A fresh project: the tarball, hls.js, TypeScript and esbuild from the registry (npm's cache first).
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "outside-app", private: true, type: "module" }, null, 2),
  );
  const install = run(
    "npm",
    [
      "install",
      "--no-audit",
      "--prefer-offline",
      "--no-workspaces",
      tarball,
      `hls.js@${versionOf("hls.js")}`,
      `typescript@${versionOf("typescript")}`,
      `esbuild@${versionOf("esbuild")}`,
    ],
    project,
  );
  expect(install.status, install.out).toBe(0);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022", "dom", "dom.iterable"],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ["src/page.ts"],
      },
      null,
      2,
    ),
  );
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "src", "page.ts"), PAGE_TS);
  writeFileSync(join(project, "src", "misuse.ts"), MISUSE_TS);

  await makeHlsStream(join(work, "hls"), 8);
  mkdirSync(join(work, "site"));
  media = await startMediaServer(
    {
      "/hls/": join(work, "hls"),
      "/site/": join(work, "site"),
      "/pkg/": join(project, "node_modules", "@reeltime", "player-sdk"),
      "/lib/": join(project, "node_modules", "hls.js", "dist"),
    },
    { "/bundled": HTML('<script type="module" src="/site/page.js"></script>'), "/iife": IIFE_PAGE },
  );
  collector = await startCollector({ appId: APP_ID, writeKey: WRITE_KEY, origins: [media.url] });
  context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM.executablePath,
    headless: true,
    args: [...CHROMIUM.args],
  });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await media?.close();
  await collector?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function playAndCollect(path: string) {
  const page = await context.newPage();
  await page.goto(`${media.url}${path}`);
  const viewId = (await page.evaluate(
    `window.start(${JSON.stringify({ endpoint: collector.url, writeKey: WRITE_KEY })})`,
  )) as string;
  expect(viewId).toMatch(/^[0-9a-f-]{36}$/);
  const startup = await collector.waitFor(
    (e) => e.view_id === viewId && e.event_type === "playback.startup_complete",
    `${path}: startup_complete`,
  );
  await page.click("#like");
  const click = await collector.waitFor((e) => e.event_type === "click" && e.view_id === viewId, `${path}: click`);
  await page.close();
  return { viewId, startup, click };
}

describe("the packed SDK in a project outside the monorepo", () => {
  it("ships only the built files, with self-contained declarations", () => {
    const pkgDir = join(project, "node_modules", "@reeltime", "player-sdk");
    for (const f of [
      "dist/index.d.ts",
      "dist/hls.d.ts",
      "dist/clicks.d.ts",
      "dist/esm/index.js",
      "dist/iife/reeltime.min.js",
    ])
      expect(existsSync(join(pkgDir, f)), f).toBe(true);
    expect(existsSync(join(pkgDir, "src"))).toBe(false);
    expect(existsSync(join(pkgDir, "test"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { private?: boolean };
    expect(manifest.private).toBeUndefined();
    for (const d of ["index", "hls", "clicks"])
      expect(readFileSync(join(pkgDir, "dist", `${d}.d.ts`), "utf8")).not.toContain("@reeltime/");
  });

  it("a page using createTracker, hlsPlugin and clickPlugin type-checks under strict", () => {
    const tsc = node("typescript/bin/tsc", ["-p", "tsconfig.json"]);
    expect(tsc.status, tsc.out).toBe(0);
  });

  it("the types catch a misuse (they are not any)", () => {
    writeFileSync(
      join(project, "tsconfig.misuse.json"),
      JSON.stringify({ extends: "./tsconfig.json", files: ["src/misuse.ts"] }),
    );
    const tsc = node("typescript/bin/tsc", ["-p", "tsconfig.misuse.json"]);
    expect(tsc.status).not.toBe(0);
    expect(tsc.out).toContain("misuse.ts");
    // Line 2, column 17: the `endpoint: 42` property.
    expect(tsc.out).toContain("src/misuse.ts(2,17): error TS2322: Type 'number' is not assignable to type 'string'.");
  });

  it("bundled with esbuild, it plays in Chromium and its events reach the ingest API", {
    timeout: 120_000,
  }, async () => {
    // esbuild's installer replaces its bin with the native executable.
    const esbuild = run(
      join(project, "node_modules", ".bin", "esbuild"),
      ["src/page.ts", "--bundle", "--format=esm", "--platform=browser", `--outfile=${join(work, "site", "page.js")}`],
      project,
    );
    expect(esbuild.status, esbuild.out).toBe(0);
    const { viewId, startup, click } = await playAndCollect("/bundled");
    expect(startup).toMatchObject({ app_id: APP_ID, view_id: viewId, video: { id: "outside-video" } });
    expect(click).toMatchObject({ app_id: APP_ID, click: { target: { id: "like", label: "Like" } } });
    const types = new Set(
      collector
        .events()
        .filter((e) => e.view_id === viewId)
        .map((e) => e.event_type),
    );
    expect(types).toContain("playback.view_start");
    expect(collector.rejected).toEqual([]);
  });

  it("a plain <script> page with the IIFE files does the same", { timeout: 120_000 }, async () => {
    const { viewId, startup, click } = await playAndCollect("/iife");
    expect(startup).toMatchObject({ app_id: APP_ID, view_id: viewId });
    expect(click).toMatchObject({ app_id: APP_ID, click: { target: { id: "like", label: "Like" } } });
    expect(collector.rejected).toEqual([]);
  });
});
