// Serves a live HLS stream written to a folder (pipeline's startLiveForTest) on 127.0.0.1, each
// playlist as it was D ms ago under `/d<D>/`: a known extra publication delay. A playlist version
// becomes visible D ms after it was written, and the segments it adds with it, so a player on
// `/d4000/` sees the stream exactly 4 s later than one on `/d0/` (the same encoder, the same
// segment-publication phase when D is a multiple of the segment length). It can also hold every
// segment request back, to force a real stall.
import { readFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".ts": "video/mp2t",
};
/** How often the playlists are read for new versions: both delays see the same granularity. */
const POLL_MS = 20;

export interface LiveServer {
  url: string;
  /** Holds every segment request until `release()`; `requested` resolves at the first one held. */
  holdSegments(): { requested: Promise<void>; release: () => void };
  close(): Promise<void>;
}

/**
 * `streamDir` holds `master.m3u8` and its variants' playlists and segments; `statics` maps URL
 * prefixes to folders (SDK bundles, hls.js); `pages` maps paths to HTML.
 */
export async function startLiveServer(
  streamDir: string,
  statics: Record<string, string>,
  pages: Record<string, string>,
): Promise<LiveServer> {
  const master = await readFile(join(streamDir, "master.m3u8"), "utf8");
  const variants = master
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  // Every version of each variant playlist with the time it was first seen.
  const history = new Map<string, { at: number; text: string }[]>(variants.map((v) => [v, []]));
  const poll = async () => {
    for (const [rel, versions] of history) {
      const text = await readFile(join(streamDir, rel), "utf8").catch(() => undefined);
      if (text && text !== versions.at(-1)?.text) versions.push({ at: Date.now(), text });
    }
  };
  await poll();
  const poller = setInterval(() => void poll(), POLL_MS);

  let hold: { waiting: (() => void)[]; first: () => void } | undefined;
  const send = async (res: ServerResponse, body: Buffer | string | undefined, type: string) => {
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const page = pages[path];
    if (page !== undefined) return void send(res, page, TYPES[".html"]!);
    const prefix = Object.keys(statics).find((p) => path.startsWith(p));
    if (prefix) {
      const rel = normalize(path.slice(prefix.length));
      if (rel.startsWith("..")) return void res.writeHead(403).end();
      const file = join(statics[prefix]!, rel);
      return void readFile(file).then(
        (b) => send(res, b, TYPES[extname(file)] ?? "application/octet-stream"),
        () => send(res, undefined, ""),
      );
    }
    const m = /^\/d(\d+)\/(.+)$/.exec(path);
    if (!m) return void res.writeHead(404).end();
    const delay = Number(m[1]);
    const rel = normalize(m[2]!);
    if (rel.startsWith("..")) return void res.writeHead(403).end();
    const type = TYPES[extname(rel)] ?? "application/octet-stream";
    const versions = history.get(rel);
    if (versions) {
      // The newest version written at least `delay` ms ago (none yet: not published yet).
      const cutoff = Date.now() - delay;
      const visible = versions.filter((v) => v.at <= cutoff).at(-1);
      if (visible) res.setHeader("x-visible-since", String(visible.at + delay));
      return void send(res, visible?.text, type);
    }
    const serve = () =>
      void readFile(join(streamDir, rel)).then(
        (b) => send(res, b, type),
        () => send(res, undefined, ""),
      );
    if (hold && rel.endsWith(".ts")) {
      hold.first();
      hold.waiting.push(serve);
    } else serve();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holdSegments() {
      let first: () => void = () => {};
      const requested = new Promise<void>((resolve) => {
        first = resolve;
      });
      const h = { waiting: [] as (() => void)[], first: () => first() };
      hold = h;
      return {
        requested,
        release: () => {
          if (hold === h) hold = undefined;
          for (const go of h.waiting.splice(0)) go();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poller);
        if (hold) for (const go of hold.waiting.splice(0)) go();
        hold = undefined;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The folder of a master playlist file (the stream's root to serve). */
export const streamRoot = (masterFile: string) => dirname(masterFile);
