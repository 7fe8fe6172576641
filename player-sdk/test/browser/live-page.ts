/**
 * The live test page: muted <video> elements, each playing one live source through its own hls.js,
 * all tracked by one tracker (SDK IIFE bundles), heartbeats every `heartbeatMs`.
 *
 * Its own references, made without the SDK: when the SDK puts an event with `live` figures on the
 * wire (its debug hook, same task), the page notes the page's clock and its own latency: Date.now()
 * minus the program date time at the playhead, from the playlist text it fetched and parsed itself
 * (EXT-X-MEDIA-SEQUENCE, EXT-X-PROGRAM-DATE-TIME, EXTINF), at `video.currentTime` into the fragment
 * on screen (hls.js FRAG_CHANGED says which one and where it starts; `hls.playingDate`, what the SDK
 * reads, is not used). A stopwatch (performance.now) marks waiting/playing and playback-rate changes.
 */
export const LIVE_PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>reeltime player-sdk live test</title></head>
<body>
<script src="/lib/hls.min.js"></script>
<script src="/sdk/iife/reeltime.min.js"></script>
<script src="/sdk/iife/reeltime-hls.min.js"></script>
<script>
  // Media sequence number → PROGRAM-DATE-TIME (epoch ms), parsed from the playlist text.
  const parsePlaylist = (text, into) => {
    let sn = 0, pdt;
    for (const raw of text.split("\\n")) {
      const line = raw.trim();
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) sn = Number(line.slice(22));
      else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = Date.parse(line.slice(25).replace(/([+-]\\d{2})(\\d{2})$/, "$1:$2"));
      else if (line && !line.startsWith("#")) {
        if (pdt !== undefined) into.set(sn, pdt);
        sn++;
        pdt = undefined;
      }
    }
  };
  window.livePlayers = [];
  window.liveSamples = [];
  window.liveSetup = (o) => {
    const tracker = Reeltime.createTracker({
      endpoint: o.endpoint,
      writeKey: o.writeKey,
      appId: "browser-test",
      plugins: [ReeltimeHls.hlsPlugin({ version: Hls.version })],
      flushIntervalMs: 300,
      heartbeatMs: o.heartbeatMs,
      debug: (m, d) => {
        if (!d || typeof d !== "object" || !d.live) return;
        const p = window.livePlayers.find((x) => x.att.viewId() === d.view_id);
        window.liveSamples.push({
          player: p ? p.index : -1,
          type: d.event_type,
          at: performance.now(),
          sdk: d.live,
          page: p ? p.latency() : null,
          rate: p ? p.video.playbackRate : null,
          media: p ? p.video.currentTime : null,
          media: p ? p.video.currentTime : null,
          state: d.state,
        });
      },
    });
    o.sources.forEach((src, index) => {
      const video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      video.width = 426;
      video.height = 240;
      document.body.appendChild(video);
      const marks = { waiting: [], playing: [], rate: [] };
      for (const t of ["waiting", "playing"]) video.addEventListener(t, () => marks[t].push(performance.now()));
      video.addEventListener("ratechange", () => marks.rate.push([performance.now(), video.playbackRate]));
      const hls = new Hls({ startLevel: 0, maxLiveSyncPlaybackRate: o.maxLiveSyncPlaybackRate ?? 1 });
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        hls.autoLevelCapping = 0;
      });
      const pdt = new Map();
      // The newest segment of the playlist as this page last fetched it, and when the server made
      // that version visible (x-visible-since: its publication instant, delay included).
      let newest;
      hls.on(Hls.Events.LEVEL_LOADED, (_, d) => {
        fetch(d.details.url, { cache: "no-store" }).then(async (r) => {
          const since = Number(r.headers.get("x-visible-since"));
          const text = await r.text();
          parsePlaylist(text, pdt);
          const last = Math.max(...pdt.keys());
          const dur = Number(/#EXTINF:([0-9.]+)/.exec(text.slice(text.lastIndexOf("#EXTINF:")))[1]);
          newest = { sn: last, pdtEnd: pdt.get(last) + dur * 1000, since };
        });
      });
      // Puts the playhead behindMs behind the true live edge of what this player may see (the newest
      // visible segment's end plus the time since it became visible), on the page's own figures.
      const pin = (behindMs) => {
        const f = hls.levels[hls.currentLevel].details.fragments.find((x) => x.sn === newest.sn);
        const targetPdt = newest.pdtEnd + (Date.now() - newest.since) - behindMs;
        video.currentTime = f.start + f.duration + (targetPdt - newest.pdtEnd) / 1000;
      };
      let frag;
      hls.on(Hls.Events.FRAG_CHANGED, (_, d) => {
        if (d.frag.type === "main") frag = d.frag;
      });
      const att = tracker.attach(video, { hls, video: { id: "live-" + index } });
      const start = () => {
        hls.loadSource(src);
        hls.attachMedia(video);
        return video.play();
      };
      const latency = () => {
        const start = frag && pdt.get(frag.sn);
        return start === undefined ? null : Date.now() - (start + (video.currentTime - frag.start) * 1000);
      };
      window.livePlayers.push({ index, video, hls, att, marks, latency, start, pin });
    });
    window.liveTracker = tracker;
    return tracker.sessionId;
  };
  window.livePin = (behindMs) => window.livePlayers.forEach((p) => p.pin(behindMs));
  window.livePlayAll = () => Promise.all(window.livePlayers.map((p) => p.start())).then(() => true);
</script>
</body>
</html>`;
