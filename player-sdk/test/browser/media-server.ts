// Serves the test page, hls.js, the SDK bundles and the HLS stream on 127.0.0.1, and can hold
// back chosen segments to force a real rebuffer.
import { readFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".ts": "video/mp2t",
};

interface Hold {
  pattern: RegExp;
  waiting: (() => void)[];
  requested: Promise<string>;
  onRequest: (path: string) => void;
}

export interface MediaServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  /** Holds every request matching `pattern` until `release()`; `requested` resolves at the first one. */
  hold(pattern: RegExp): { requested: Promise<string>; release: () => void };
  close(): Promise<void>;
}

/** `routes` maps URL prefixes to directories, e.g. `{ "/hls/": streamDir }`; `pages` maps paths to HTML. */
export async function startMediaServer(
  routes: Record<string, string>,
  pages: Record<string, string>,
): Promise<MediaServer> {
  const requests: string[] = [];
  const holds = new Set<Hold>();
  const send = async (res: ServerResponse, file: string) => {
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    const page = pages[path];
    if (page !== undefined) {
      res.writeHead(200, { "content-type": TYPES[".html"]! }).end(page);
      return;
    }
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    if (!prefix) {
      res.writeHead(404).end();
      return;
    }
    const rel = normalize(path.slice(prefix.length));
    if (rel.startsWith("..")) {
      res.writeHead(403).end();
      return;
    }
    const file = join(routes[prefix]!, rel);
    const hold = [...holds].find((h) => h.pattern.test(path));
    if (hold) {
      hold.onRequest(path);
      hold.waiting.push(() => void send(res, file));
    } else void send(res, file);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hold(pattern) {
      let onRequest: (p: string) => void = () => {};
      const requested = new Promise<string>((resolve) => {
        onRequest = resolve;
      });
      const h: Hold = { pattern, waiting: [], requested, onRequest: (p) => onRequest(p) };
      holds.add(h);
      return {
        requested,
        release: () => {
          holds.delete(h);
          for (const go of h.waiting.splice(0)) go();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of holds) for (const go of h.waiting.splice(0)) go();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
