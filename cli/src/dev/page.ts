import { formatViewMetrics } from "./metrics-format.ts";
import { uploadVideo } from "./upload-client.ts";

/**
 * The demo page: hls.js and the reeltime SDK from this server (no CDN), tracking one player, and
 * an upload form: the file goes to the upload API in parts (the write key the page already holds
 * for the SDK), then the page polls the catalogue (GET /v1/videos/:id with the read token) until
 * the video is ready or failed. `?video=<id>` plays another video of the archive (an upload).
 */
export function demoPage(o: {
  writeKey: string;
  appId: string;
  videoId: string;
  title: string;
  hasVideo: boolean;
  /**
   * The dev read token, for the upload form's status polling. Only `reeltime dev` serves this
   * page (its tokens are new each start); a product page never holds a read token.
   */
  readToken?: string;
  /** A live stream the dev server runs: the page links it, and `?live=<name>` plays it. */
  liveName?: string;
  /**
   * The edge's base URL (`reeltime dev --edge`): the sample plays from it, hls.js sends CMCD
   * (sid = the view id) so each request the edge logs joins its view.
   */
  edgeUrl?: string;
}): string {
  const cfg = JSON.stringify({
    endpoint: "",
    writeKey: o.writeKey,
    appId: o.appId,
    videoId: o.videoId,
    title: o.title,
    readToken: o.readToken ?? "",
    edge: o.edgeUrl ?? "",
  }).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>reeltime demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; color: #1d232a; }
  video { width: 100%; background: #000; border-radius: 6px; }
  .row { display: flex; gap: .5rem; margin: .75rem 0; flex-wrap: wrap; }
  button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid #9aa4ae; background: #f5f7f9; cursor: pointer; }
  table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
  th { text-align: left; font-weight: 500; color: #5a6570; padding: .15rem 1.5rem .15rem 0; }
  td { text-align: right; padding: .15rem 0; }
  #upload { margin: 2rem 0; padding: 1rem; border: 1px solid #d5dbe1; border-radius: 6px; }
  #upload h2 { margin: 0 0 .5rem; font-size: 1.1rem; }
  #upload progress { width: 100%; height: .8rem; }
  #upload-status { min-height: 1.5em; font-variant-numeric: tabular-nums; }
  #upload-status.failed { color: #b3261e; }
</style>
</head>
<body>
<h1>reeltime demo</h1>
<p>${o.hasVideo ? "Play the sample: every state change, stall, seek, rendition switch and click is sent to the ingest API." : "No sample video was transcoded (ffmpeg missing): the tracker still runs; see the README."}
 The <a href="/live">live view</a> shows what arrives.${o.liveName && /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(o.liveName) ? ` Live: <a id="live-link" href="/demo?live=${encodeURIComponent(o.liveName)}">play the live stream "${o.liveName}"</a> (ffmpeg's test source, 2 s segments).` : ""}</p>
<video id="player" controls muted playsinline></video>
<div class="row">
  <button data-reeltime-click="like" data-reeltime-label="Like">Like</button>
  <button data-reeltime-click="share" data-reeltime-label="Share">Share</button>
  <button id="flush">Flush now</button>
</div>
<table id="stats"><tr><th>waiting for playback…</th></tr></table>
<section id="upload">
  <h2>Upload a video</h2>
  <form id="upload-form" class="row">
    <input id="upload-file" type="file" accept="video/*,.mp4,.mov,.webm,.mkv" required>
    <input id="upload-title" placeholder="title (optional)" maxlength="256">
    <button type="submit">Upload</button>
  </form>
  <progress id="upload-progress" max="1" value="0"></progress>
  <p id="upload-status" role="status">Pick a file: it is sent in parts to the upload API, then transcoded by the pipeline worker; this page follows it in the catalogue until it is ready.</p>
</section>
<script src="/assets/hls.min.js"></script>
<script src="/assets/reeltime.min.js"></script>
<script src="/assets/reeltime-hls.min.js"></script>
<script src="/assets/reeltime-clicks.min.js"></script>
<script>
  const cfg = ${cfg};
  const video = document.getElementById("player");
  const tracker = Reeltime.createTracker({
    endpoint: location.origin,
    writeKey: cfg.writeKey,
    appId: cfg.appId,
    plugins: [ReeltimeHls.hlsPlugin(), ReeltimeClicks.clickPlugin()],
  });
  // ?video=<id> plays another video of the archive (an upload that became ready).
  // ?live=<name> plays a live stream (media/live/<name>/, its views' video id live:<name>).
  const params = new URLSearchParams(location.search);
  const chosen = params.get("video");
  const liveName = params.get("live");
  const isLive = !!liveName && /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(liveName);
  const videoId = isLive ? "live:" + liveName : chosen && /^[A-Za-z0-9._-]{1,128}$/.test(chosen) ? chosen : cfg.videoId;
  // With --edge the sample (published into the edge's bucket) plays through the edge.
  const viaEdge = !!cfg.edge && !isLive && videoId === cfg.videoId;
  const src = isLive ? "/media/live/" + liveName + "/master.m3u8" : (viaEdge ? cfg.edge : "") + "/media/" + videoId + "/master.m3u8";
  let hls;
  if (window.Hls && Hls.isSupported()) {
    // Through the edge: CMCD on (sid = the view id), and an 8 s buffer, so the segments are
    // fetched while the view plays (the sessionizer joins CDN totals to a view it has seen).
    hls = new Hls(
      viaEdge
        ? { maxBufferLength: 8, maxMaxBufferLength: 8, ...ReeltimeHls.cmcdConfig({ tracker, contentId: videoId }) }
        : {},
    );
    hls.loadSource(src);
    hls.attachMedia(video);
  } else video.src = src;
  const attachment = tracker.attach(video, {
    hls,
    video: videoId === cfg.videoId ? { id: cfg.videoId, title: cfg.title } : isLive ? { id: videoId, title: "live " + liveName } : { id: videoId },
  });
  document.getElementById("flush").onclick = () => tracker.flush();
  const formatViewMetrics = ${formatViewMetrics.toString()};
  setInterval(() => {
    const m = attachment.metrics();
    if (!m) return;
    const rows = formatViewMetrics(m).map(([label, value]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = label;
      td.textContent = value;
      tr.append(th, td);
      return tr;
    });
    document.getElementById("stats").replaceChildren(...rows);
  }, 1000);

  const uploadVideo = ${uploadVideo.toString()};
  const statusEl = document.getElementById("upload-status");
  const progressEl = document.getElementById("upload-progress");
  const say = (text, failed) => {
    statusEl.textContent = text;
    statusEl.className = failed ? "failed" : "";
  };
  const mib = (n) => (n / 1048576).toFixed(1) + " MiB";
  /** Polls the catalogue until the video is ready or failed (404 until the updater saw the upload). */
  async function follow(id, started) {
    if (!cfg.readToken) return say("uploaded " + id + " (no read token on this page to follow it)");
    for (;;) {
      const res = await fetch("/v1/videos/" + encodeURIComponent(id), {
        headers: { authorization: "Bearer " + cfg.readToken },
      });
      const body = await res.json().catch(() => ({}));
      const seconds = ((Date.now() - started) / 1000).toFixed(0) + " s";
      if (res.status === 404) say(id + ": waiting for the catalogue… (" + seconds + ")");
      else if (!res.ok) return say(body.error ? body.error.code + ": " + body.error.message : "HTTP " + res.status, true);
      else if (body.status === "ready") {
        const hls = (body.manifests || []).find((m) => m.endsWith(".m3u8"));
        const playlist = "/" + (hls || "media/" + id + "/master.m3u8");
        statusEl.replaceChildren(
          id + " is ready after " + seconds + " (" + (body.renditions || []).length + " renditions): ",
          Object.assign(document.createElement("a"), { href: playlist, textContent: "HLS playlist" }),
          " · ",
          Object.assign(document.createElement("a"), { href: "/demo?video=" + encodeURIComponent(id), textContent: "play it here" }),
        );
        statusEl.className = "";
        return;
      } else if (body.status === "failed")
        return say(id + " failed: " + (body.failure_code || "") + " " + (body.failure_message || ""), true);
      else say(id + ": " + body.status + "… (" + seconds + ")");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  document.getElementById("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("upload-file").files[0];
    if (!file) return;
    const button = event.submitter || document.querySelector("#upload-form button");
    button.disabled = true;
    const started = Date.now();
    try {
      say("hashing " + file.name + "…");
      const done = await uploadVideo({
        endpoint: location.origin,
        writeKey: cfg.writeKey,
        file,
        title: document.getElementById("upload-title").value.trim() || file.name,
        memory: sessionStorage,
        onProgress: (stored, total) => {
          progressEl.value = total > 0 ? stored / total : 1;
          say("uploading " + file.name + ": " + mib(stored) + " of " + mib(total));
        },
      });
      progressEl.value = 1;
      say(done.video_id + ": uploaded, waiting for the catalogue…");
      await follow(done.video_id, started);
    } catch (err) {
      say(err.message, true);
    } finally {
      button.disabled = false;
    }
  });
</script>
</body>
</html>
`;
}
