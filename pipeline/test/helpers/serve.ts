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

/** Serves hls.js from node_modules, the test page, and archive objects under `/media/`, on 127.0.0.1. */
export async function serveArchive(archive: Archive): Promise<{ url: string; close: () => Promise<void> }> {
  const hlsPath = require.resolve("hls.js/dist/hls.min.js");
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    try {
      if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      if (path === "/hls.min.js")
        return res.writeHead(200, { "content-type": "text/javascript" }).end(await readFile(hlsPath));
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
