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
 * rendition in use, the picture size at the end, and currentTime as it went. `el` is the media
 * element: "v" (default), the <video>, or "a", an <audio> (audio-only packages).
 *   playHlsLevel(src, height, rate, el)        hls.js: the level of that height, or (a string) the level
 *                                              whose URL holds it, e.g. "audio-96k/" (currentLevel)
 *   playDash(src, videoId, audioId, rate, el)  dash.js: setRepresentationForTypeById for video (unless
 *                                              null) and audio
 *   playShaka(src, videoId, audioId, rate, el) Shaka Player (DASH): selectVariantTrack of those Representations
 * With subtitles: each plays with ABR on and the subtitle track of language `lang` selected, and
 * adds `subtitles` (the [language, name] of every subtitle track the player lists) and `cues` (the
 * element's text tracks that got cues: language and [start, end, text] of each cue) to the result.
 *   playHlsSubtitles(src, lang, rate)    hls.js: subtitleTracks (SUBTITLE_TRACKS_UPDATED), subtitleTrack
 *   playDashSubtitles(src, lang, rate)   dash.js: getTracksFor("text"), setTextTrack
 *   playShakaSubtitles(src, lang, rate)  Shaka Player: getTextTracks, selectTextTrack
 */
const PLAYERS = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video><audio id="a" muted></audio>
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
    Object.assign(r, { ok, currentTime: v.currentTime, duration: v.duration, width: v.videoWidth || 0, height: v.videoHeight || 0 });
    r.cues = [...v.textTracks].filter((t) => t.cues && t.cues.length).map((t) => ({ language: t.language, label: t.label,
      cues: [...t.cues].map((c) => [Math.round(c.startTime * 1000) / 1000, Math.round(c.endTime * 1000) / 1000, c.text]) }));
    onEnd(r);
  }
  v.addEventListener("ended", () => finish(true));
  v.addEventListener("error", () => finish(false, "media error " + (v.error && v.error.message)));
  return { r, finish };
}
const levelUrl = (l) => [].concat(l.url || l.uri || []).join(" ");
window.playHlsLevel = (src, height, rate, el) => new Promise((resolve) => {
  const v = document.getElementById(el || "v");
  const hls = new Hls({ capLevelToPlayerSize: false });
  const w = watch(v, (r) => { hls.destroy(); resolve(r); });
  hls.on(Hls.Events.ERROR, (_, d) => { w.r.errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); if (d.fatal) w.finish(false); });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => { w.r.rendered.video = hls.levels[d.level].height; w.r.rendered.level = levelUrl(hls.levels[d.level]); });
  hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (_, d) => { const t = hls.audioTracks[d.id]; w.r.rendered.audio = t && (t.groupId || t.attrs["GROUP-ID"]); });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    w.r.levels = hls.levels.map((l) => typeof height === "string" ? levelUrl(l) : l.height);
    if (typeof height === "string") {
      const i = hls.levels.findIndex((l) => levelUrl(l).includes(height));
      if (i < 0) return w.finish(false, "no level " + height);
      hls.currentLevel = i;
    } else if (height >= 0) hls.currentLevel = hls.levels.findIndex((l) => l.height === height);
    v.playbackRate = rate;
    v.play().catch((e) => w.finish(false, String(e)));
  });
  hls.loadSource(src);
  hls.attachMedia(v);
});
window.playDash = (src, videoId, audioId, rate, el) => new Promise((resolve) => {
  const v = document.getElementById(el || "v");
  const player = dashjs.MediaPlayer().create();
  const w = watch(v, (r) => { r.rendered = { video: (player.getCurrentRepresentationForType("video") || {}).id, audio: (player.getCurrentRepresentationForType("audio") || {}).id }; player.reset(); resolve(r); });
  const forced = videoId !== null || audioId !== null;
  player.updateSettings({ debug: { logLevel: 2 }, streaming: { abr: { autoSwitchBitrate: { video: videoId === null, audio: !forced } } } });
  player.on(dashjs.MediaPlayer.events.ERROR, (e) => { w.r.errors.push("dash.js: " + JSON.stringify(e.error || e).slice(0, 300)); w.finish(false); });
  player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
    w.r.levels = player.getRepresentationsByType(videoId === null && audioId !== null ? "audio" : "video").map((x) => x.id);
    if (videoId !== null) player.setRepresentationForTypeById("video", videoId, true);
    if (audioId !== null) player.setRepresentationForTypeById("audio", audioId, true);
    v.playbackRate = rate;
  });
  player.initialize(v, src, true);
});
window.playShaka = (src, videoId, audioId, rate, el) => new Promise(async (resolve) => {
  const v = document.getElementById(el || "v");
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  let w;
  w = watch(v, (r) => { const t = player.getVariantTracks().find((x) => x.active); r.rendered = t ? { video: t.originalVideoId, audio: t.originalAudioId } : {}; player.destroy(); resolve(r); });
  player.addEventListener("error", (e) => { w.r.errors.push("shaka: " + (e.detail && e.detail.code)); w.finish(false); });
  try {
    await player.attach(v);
    player.configure({ abr: { enabled: videoId === null && audioId === null } });
    await player.load(src);
    w.r.levels = player.getVariantTracks().map((x) => x.originalVideoId + "+" + x.originalAudioId);
    if (videoId !== null || audioId !== null) {
      const t = player.getVariantTracks().find((x) => (videoId === null || x.originalVideoId === videoId) && x.originalAudioId === audioId);
      if (!t) return w.finish(false, "no variant " + videoId + "+" + audioId);
      player.selectVariantTrack(t, true);
    }
    v.playbackRate = rate;
    await v.play();
  } catch (e) { w.r.errors.push("shaka: " + (e && (e.code || e.message))); w.finish(false); }
});
window.playHlsSubtitles = (src, lang, rate) => new Promise((resolve) => {
  const v = document.getElementById("v");
  // The track is chosen by preference: hls.js picks its subtitle track again when the first level
  // loads (none, with no DEFAULT=YES), so setting subtitleTrack earlier is undone.
  const hls = new Hls({ capLevelToPlayerSize: false, subtitlePreference: { lang } });
  const w = watch(v, (r) => { hls.destroy(); resolve(r); });
  hls.on(Hls.Events.ERROR, (_, d) => { w.r.errors.push(d.type + ":" + d.details + (d.fatal ? ":fatal" : "")); if (d.fatal) w.finish(false); });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_, d) => {
    w.r.subtitles = d.subtitleTracks.map((t) => [t.lang, t.name]);
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    v.playbackRate = rate;
    v.play().catch((e) => w.finish(false, String(e)));
  });
  hls.loadSource(src);
  hls.attachMedia(v);
});
window.playDashSubtitles = (src, lang, rate) => new Promise((resolve) => {
  const v = document.getElementById("v");
  const player = dashjs.MediaPlayer().create();
  const w = watch(v, (r) => { player.reset(); resolve(r); });
  player.updateSettings({ debug: { logLevel: 2 } });
  player.on(dashjs.MediaPlayer.events.ERROR, (e) => { w.r.errors.push("dash.js: " + JSON.stringify(e.error || e).slice(0, 300)); w.finish(false); });
  player.on(dashjs.MediaPlayer.events.TEXT_TRACKS_ADDED, () => {
    const tracks = player.getTracksFor("text");
    w.r.subtitles = tracks.map((t) => [t.lang, ((t.labels || [])[0] || {}).text]);
    player.enableText(true);
    player.setTextTrack(tracks.findIndex((t) => t.lang === lang));
  });
  player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => { v.playbackRate = rate; });
  player.initialize(v, src, true);
});
window.playShakaSubtitles = (src, lang, rate) => new Promise(async (resolve) => {
  const v = document.getElementById("v");
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  let w;
  w = watch(v, (r) => { player.destroy(); resolve(r); });
  player.addEventListener("error", (e) => { w.r.errors.push("shaka: " + (e.detail && e.detail.code)); w.finish(false); });
  try {
    await player.attach(v);
    await player.load(src);
    const tracks = player.getTextTracks();
    w.r.subtitles = tracks.map((t) => [t.language, t.label]);
    const t = tracks.find((x) => x.language === lang);
    if (!t) return w.finish(false, "no text track " + lang);
    player.selectTextTrack(t); // Shaka 5: selecting a text track shows it (no separate visibility)
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
