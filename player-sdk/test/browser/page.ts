/** The test page: a muted <video>, hls.js and the SDK's IIFE bundles, all served locally. */
export const PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>reeltime player-sdk test</title></head>
<body>
<video id="v" muted playsinline width="640" height="360"></video>
<button id="cta" data-reeltime-click data-reeltime-label="Subscribe">Subscribe</button>
<script src="/lib/hls.min.js"></script>
<script src="/sdk/iife/reeltime.min.js"></script>
<script src="/sdk/iife/reeltime-hls.min.js"></script>
<script src="/sdk/iife/reeltime-clicks.min.js"></script>
<script>
  // What the page itself saw, with its own clock, to check the SDK's figures against.
  window.marks = { waiting: [], playing: [], requested: [] };
  // Every event the SDK put on the wire (its debug hook), to count deliveries against.
  window.made = [];
  // The pictures actually presented (requestVideoFrameCallback): their sizes in order, and a
  // stopwatch of the wall time between consecutive frames of continuous playback.
  window.shown = { sizes: [], stopwatchMs: 0, frames: 0 };
  const watchFrames = (video) => {
    let last;
    const onFrame = (now, md) => {
      const f = window.shown;
      const size = md.width + "x" + md.height;
      if (f.sizes.at(-1) !== size) f.sizes.push(size);
      f.frames++;
      if (last) {
        const dm = md.mediaTime - last.mediaTime;
        const dt = now - last.now;
        if (dm > 0 && dm < 0.2 && dt < 200) f.stopwatchMs += dt;
      }
      last = { now, mediaTime: md.mediaTime };
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  window.setup = (o) => {
    const video = document.getElementById("v");
    watchFrames(video);
    for (const t of ["waiting", "playing"]) video.addEventListener(t, () => window.marks[t].push(performance.now()));
    const tracker = Reeltime.createTracker({
      endpoint: o.endpoint,
      writeKey: o.writeKey,
      appId: "browser-test",
      plugins: [ReeltimeHls.hlsPlugin({ version: Hls.version }), ReeltimeClicks.clickPlugin()],
      flushIntervalMs: o.flushIntervalMs,
      maxBatchEvents: o.maxBatchEvents ?? 20,
      debug: (m, d) => {
        if (d && typeof d === "object" && d.event_id) window.made.push(d.event_id);
      },
    });
    const hls = new Hls({
      maxBufferLength: 4,
      maxMaxBufferLength: 4,
      startLevel: 0,
      ...ReeltimeHls.cmcdConfig({ tracker, contentId: "test-pattern", batchSize: 1 }),
    });
    // Stay on the lowest rendition until the test switches.
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      hls.autoLevelCapping = 0;
    });
    // hls.js's own account of the level at the playhead, for comparison only.
    window.fragLevels = [];
    hls.on(Hls.Events.FRAG_CHANGED, (_, d) => {
      if (d.frag.type === "main" && window.fragLevels.at(-1) !== d.frag.level) window.fragLevels.push(d.frag.level);
    });
    hls.loadSource("/hls/master.m3u8");
    hls.attachMedia(video);
    const video_ = { id: "test-pattern", title: "Test pattern + tone" };
    const att = tracker.attach(video, { hls, video: video_ });
    window.t = { tracker, hls, video, att, video_ };
    return tracker.sessionId;
  };
  window.play = () => {
    window.marks.requested.push(performance.now());
    return window.t.video.play().then(() => true);
  };
</script>
</body>
</html>`;
