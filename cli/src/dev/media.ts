import type { Archive } from "@reeltime/connectors";
import { ERRORS } from "@reeltime/runtime";
import type { FastifyInstance } from "fastify";

/** Content types of the media files the pipeline writes, by extension. */
export const MEDIA_TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  mpd: "application/dash+xml",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  jpg: "image/jpeg",
  png: "image/png",
  vtt: "text/vtt",
  json: "application/json",
};
const SAFE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** GET /media/<video_id>/... serves the packages the pipeline wrote to the archive (HLS and DASH manifests, CMAF or TS segments). */
export function mediaRoutes(app: FastifyInstance, archive: Archive): void {
  app.get<{ Params: { "*": string } }>("/media/*", async (req, reply) => {
    const path = req.params["*"];
    if (!SAFE.test(path) || path.split("/").some((p) => p === ".." || p.startsWith(".")))
      return reply
        .code(ERRORS.REELTIME_ERR_QUERY.status)
        .send({ error: { code: "REELTIME_ERR_QUERY", message: "bad media path" } });
    const key = `media/${path}`;
    if (!(await archive.exists(key)))
      return reply
        .code(ERRORS.REELTIME_ERR_NOT_FOUND.status)
        .send({ error: { code: "REELTIME_ERR_NOT_FOUND", message: `no media at ${path}` } });
    const ext = path.slice(path.lastIndexOf(".") + 1);
    reply.header("content-type", MEDIA_TYPES[ext] ?? "application/octet-stream");
    reply.header("cache-control", ext === "m3u8" || ext === "mpd" ? "no-cache" : "public, max-age=3600");
    return reply.send(Buffer.from(await archive.get(key)));
  });
}
