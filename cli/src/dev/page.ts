import { formatViewMetrics } from "./metrics-format.ts";

/** The demo page: hls.js and the reeltime SDK from this server (no CDN), tracking one player. */
export function demoPage(o: {
  writeKey: string;
  appId: string;
  videoId: string;
  title: string;
  hasVideo: boolean;
}): string {
  const cfg = JSON.stringify({
    endpoint: "",
    writeKey: o.writeKey,
    appId: o.appId,
    videoId: o.videoId,
    title: o.title,
  });
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
</style>
</head>
<body>
<h1>reeltime demo</h1>
<p>${o.hasVideo ? "Play the sample: every state change, stall, seek, rendition switch and click is sent to the ingest API." : "No sample video was transcoded (ffmpeg missing): the tracker still runs; see the README."}
 The <a href="/live">live view</a> shows what arrives.</p>
<video id="player" controls muted playsinline></video>
<div class="row">
  <button data-reeltime-click="like" data-reeltime-label="Like">Like</button>
  <button data-reeltime-click="share" data-reeltime-label="Share">Share</button>
  <button id="flush">Flush now</button>
</div>
<table id="stats"><tr><th>waiting for playback…</th></tr></table>
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
  const src = "/media/" + cfg.videoId + "/master.m3u8";
  let hls;
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls();
    hls.loadSource(src);
    hls.attachMedia(video);
  } else video.src = src;
  const attachment = tracker.attach(video, { hls, video: { id: cfg.videoId, title: cfg.title } });
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
</script>
</body>
</html>
`;
}
