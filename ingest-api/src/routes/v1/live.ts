import { readFile } from "node:fs/promises";
import { ReeltimeError } from "@reeltime/runtime";
import type { FastifyPluginAsync, FastifyReply } from "fastify";

/** The live page's static files (ingest-api/live), served as they are: no CDN, no build step. */
const LIVE_DIR = new URL("../../../live/", import.meta.url);
const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";

/** GET /live: the built-in live page, files from ingest-api/live (registered under `/live`; figures from GET /v1/stats). */
export const liveRoutes: FastifyPluginAsync = async (app) => {
  const cache = new Map<string, Buffer>();
  const serve = async (name: string, reply: FastifyReply) => {
    const type = FILES[name];
    // Answered from the error table by the app's error handler, like every other error.
    if (!type)
      throw new ReeltimeError(
        "REELTIME_ERR_NOT_FOUND",
        `no file ${name} in the live view (its files: ${Object.keys(FILES).join(", ")})`,
      );
    let body = cache.get(name);
    if (!body) {
      body = await readFile(new URL(name, LIVE_DIR));
      cache.set(name, body);
    }
    return reply.type(type).header("content-security-policy", CSP).header("cache-control", "no-cache").send(body);
  };
  app.get("", (_req, reply) => serve("index.html", reply));
  app.get<{ Params: { file: string } }>("/:file", (req, reply) => serve(req.params.file, reply));
};
