/** The audio test page: an <audio> with controls, hls.js and the SDK's IIFE bundles, all served locally. */
export const AUDIO_PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>reeltime player-sdk audio test</title></head>
<body>
<audio id="a" controls preload="auto"></audio>
<script src="/lib/hls.min.js"></script>
<script src="/sdk/iife/reeltime.min.js"></script>
<script src="/sdk/iife/reeltime-hls.min.js"></script>
<script>
  // The page's own stopwatch (performance.now()) on the element's events, to check the SDK's
  // figures against: the play request, every playing/waiting/pause/ended, and the first
  // timeupdate whose playhead moved past where play was requested.
  window.marks = { requested: [], play: [], playing: [], waiting: [], pause: [], ended: [], advanced: [] };
  // Leaving the page: its own account of the play event and of pagehide, in wall time, kept for
  // the next page of this origin to read (the test's exit before start).
  addEventListener("pagehide", () => {
    const wall = (t) => performance.timeOrigin + t;
    localStorage.setItem(
      "audio-test.left",
      JSON.stringify({ play: window.marks.play.map(wall), hide: wall(performance.now()) }),
    );
  });
  window.setup = (o) => {
    const audio = document.getElementById("a");
    for (const t of ["play", "playing", "waiting", "pause", "ended"])
      audio.addEventListener(t, () => window.marks[t].push(performance.now()));
    let from;
    audio.addEventListener("timeupdate", () => {
      if (from !== undefined && audio.currentTime > from && window.marks.advanced.length === 0)
        window.marks.advanced.push(performance.now());
    });
    window.requestedAt = () => {
      from = audio.currentTime;
      window.marks.requested.push(performance.now());
    };
    const tracker = Reeltime.createTracker({
      endpoint: o.endpoint,
      writeKey: o.writeKey,
      appId: "browser-test",
      plugins: [ReeltimeHls.hlsPlugin({ version: Hls.version })],
      flushIntervalMs: o.flushIntervalMs,
      heartbeatMs: 2000,
    });
    // Nothing loads before play is requested: startup includes the first segment's fetch.
    const hls = new Hls({ maxBufferLength: 4, maxMaxBufferLength: 4, startLevel: 0, autoStartLoad: false });
    // Stay on the lowest rendition until the test switches.
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      hls.autoLevelCapping = 0;
    });
    // hls.js's own account of the level at the playhead and of what it loaded, for diagnosis only.
    window.frags = { changed: [], loaded: [] };
    hls.on(Hls.Events.FRAG_CHANGED, (_, d) => window.frags.changed.push(d.frag.type + ":" + d.frag.level + ":" + d.frag.sn));
    hls.on(Hls.Events.FRAG_LOADED, (_, d) => window.frags.loaded.push(d.frag.type + ":" + d.frag.level + ":" + d.frag.sn));
    hls.loadSource("/audio/master.m3u8");
    hls.attachMedia(audio);
    const att = tracker.attach(audio, { hls, video: { id: "tone-440", title: "A 440 Hz tone" } });
    window.t = { tracker, hls, audio, att };
    return tracker.sessionId;
  };
  window.play = () => {
    window.requestedAt();
    window.t.hls.startLoad();
    return window.t.audio.play().then(() => true);
  };
</script>
</body>
</html>`;

/** Another page of the same site, to leave the audio page for. */
export const LEFT_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>elsewhere</title></head><body></body></html>`;
