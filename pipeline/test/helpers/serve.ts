import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Archive } from "@reeltime/connectors";
import { contentTypeOf } from "../../src/publish.ts";

const require = createRequire(import.meta.url);

/** The test page: plays a URL with hls.js and resolves with what happened. */
const PAGE = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
window.playHls = (src, rate) => new Promise((resolve) => {
  const v = document.getElementById("v");
  if (!Hls.isSupported()) return resolve({ ok: false, errors: ["MSE not supported"] });
  const hls = new Hls();
  const errors = [];
  const levels = [];
  const done = (ok) => { const q = v.getVideoPlaybackQuality?.(); const out = { ok, errors, levels,
    currentTime: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
    dropped: q ? q.droppedVideoFrames : 0 }; hls.destroy(); resolve(out); };
  hls.on(Hls.Events.ERROR, (_, d) => { errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); if (d.fatal) done(false); });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => levels.push(hls.levels[d.level].height));
  hls.on(Hls.Events.MANIFEST_PARSED, () => { v.playbackRate = rate; v.play().catch((e) => { errors.push(String(e)); done(false); }); });
  v.addEventListener("ended", () => done(true));
  hls.loadSource(src);
  hls.attachMedia(v);
});
</script>`;

/**
 * The players page: each function plays one URL in one player, with ABR off and one rendition
 * forced (or ABR on when none is named), and resolves with what happened: errors, the
 * rendition in use, the picture size at the end, and currentTime as it went.
 *   playHlsLevel(src, height, rate)        hls.js: the level of that height (currentLevel)
 *   playDash(src, videoId, audioId, rate)  dash.js: setRepresentationForTypeById for video and audio
 *   playShaka(src, videoId, audioId, rate) Shaka Player (DASH): selectVariantTrack of those Representations
 */
const PLAYERS = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script src="/dash.all.min.js"></script>
<script src="/shaka-player.compiled.js"></script>
<script>
function watch(v, onEnd) {
  const r = { ok: false, errors: [], times: [], width: 0, height: 0, currentTime: 0, duration: 0, rendered: {} };
  let ended = false;
  const tick = setInterval(() => r.times.push(Math.round(v.currentTime * 1000) / 1000), 250);
  const timer = setTimeout(() => finish(false, "timeout"), 60000);
  function finish(ok, why) {
    if (ended) return;
    ended = true;
    clearInterval(tick);
    clearTimeout(timer);
    if (why) r.errors.push(why);
    Object.assign(r, { ok, currentTime: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight });
    onEnd(r);
  }
  v.addEventListener("ended", () => finish(true));
  v.addEventListener("error", () => finish(false, "media error " + (v.error && v.error.message)));
  return { r, finish };
}
window.playHlsLevel = (src, height, rate) => new Promise((resolve) => {
  const v = document.getElementById("v");
  const hls = new Hls({ capLevelToPlayerSize: false });
  const w = watch(v, (r) => { hls.destroy(); resolve(r); });
  hls.on(Hls.Events.ERROR, (_, d) => { w.r.errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); if (d.fatal) w.finish(false); });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => { w.r.rendered.video = hls.levels[d.level].height; });
  hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (_, d) => { const t = hls.audioTracks[d.id]; w.r.rendered.audio = t && (t.groupId || t.attrs["GROUP-ID"]); });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    w.r.levels = hls.levels.map((l) => l.height);
    if (height >= 0) hls.currentLevel = hls.levels.findIndex((l) => l.height === height);
    v.playbackRate = rate;
    v.play().catch((e) => w.finish(false, String(e)));
  });
  hls.loadSource(src);
  hls.attachMedia(v);
});
window.playDash = (src, videoId, audioId, rate) => new Promise((resolve) => {
  const v = document.getElementById("v");
  const player = dashjs.MediaPlayer().create();
  const w = watch(v, (r) => { r.rendered = { video: (player.getCurrentRepresentationForType("video") || {}).id, audio: (player.getCurrentRepresentationForType("audio") || {}).id }; player.reset(); resolve(r); });
  const forced = videoId !== null;
  player.updateSettings({ debug: { logLevel: 2 }, streaming: { abr: { autoSwitchBitrate: { video: !forced, audio: !forced } } } });
  player.on(dashjs.MediaPlayer.events.ERROR, (e) => { w.r.errors.push("dash.js: " + JSON.stringify(e.error || e).slice(0, 300)); w.finish(false); });
  player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
    w.r.levels = player.getRepresentationsByType("video").map((x) => x.id);
    if (forced) { player.setRepresentationForTypeById("video", videoId, true); player.setRepresentationForTypeById("audio", audioId, true); }
    v.playbackRate = rate;
  });
  player.initialize(v, src, true);
});
window.playShaka = (src, videoId, audioId, rate) => new Promise(async (resolve) => {
  const v = document.getElementById("v");
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  let w;
  w = watch(v, (r) => { const t = player.getVariantTracks().find((x) => x.active); r.rendered = t ? { video: t.originalVideoId, audio: t.originalAudioId } : {}; player.destroy(); resolve(r); });
  player.addEventListener("error", (e) => { w.r.errors.push("shaka: " + (e.detail && e.detail.code)); w.finish(false); });
  try {
    await player.attach(v);
    player.configure({ abr: { enabled: videoId === null } });
    await player.load(src);
    w.r.levels = player.getVariantTracks().map((x) => x.originalVideoId + "+" + x.originalAudioId);
    if (videoId !== null) {
      const t = player.getVariantTracks().find((x) => x.originalVideoId === videoId && x.originalAudioId === audioId);
      if (!t) return w.finish(false, "no variant " + videoId + "+" + audioId);
      player.selectVariantTrack(t, true);
    }
    v.playbackRate = rate;
    await v.play();
  } catch (e) { w.r.errors.push("shaka: " + (e && (e.code || e.message))); w.finish(false); }
});
</script>`;

/** Serves hls.js from node_modules, the test page, and archive objects under `/media/`, on 127.0.0.1. */
export async function serveArchive(archive: Archive): Promise<{ url: string; close: () => Promise<void> }> {
  const hlsPath = require.resolve("hls.js/dist/hls.min.js");
  const scripts: Record<string, string> = {
    "/dash.all.min.js": require.resolve("dashjs") /* its "require" export: the UMD build, window.dashjs */,
    "/shaka-player.compiled.js": require.resolve("shaka-player") /* dist/shaka-player.compiled.js, window.shaka */,
  };
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    try {
      if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      if (path === "/hls.min.js")
        return res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(hlsPath));
      if (path === "/players.html") return res.writeHead(200, { "content-type": "text/html" }).end(PLAYERS);
      if (scripts[path])
        return res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(scripts[path]!));
      if (path.startsWith("/media/")) {
        const body = await archive.get(path.slice(1));
        return res.writeHead(200, { "content-type": contentTypeOf(path) }).end(body);
      }
      res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
