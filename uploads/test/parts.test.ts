// Hermetic: the upload API on the embedded default takes the parts itself (no S3 server): signed
// part URLs, the part size, resume by listing, the whole-object SHA-256 on completion, and the one
// upload.completed, on the filesystem archive and the embedded bus.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type Archive, type Bus, type ConsumedMessage, createArchive, createBus } from "@reeltime/connectors";
import { TOPICS, validateEvent } from "@reeltime/events";
import { errorHandler, sendError } from "@reeltime/http";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uploadsOnArchive } from "../src/embedded.ts";
import { uploadEventId } from "../src/events.ts";
import { PARTS_PREFIX } from "../src/parts.ts";
import { MemorySessions, MiB, ORIGIN, sha256, WRITE_KEY } from "./helpers.ts";

const BASE = "http://127.0.0.1:8080";
const FILE = new Uint8Array(12 * MiB).map((_, i) => (i * 7) % 251);
const SHA = sha256(FILE);
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const T0 = new Date("2026-12-04T10:00:00.000Z");

interface Harness {
  app: FastifyInstance;
  bus: Bus;
  archive: Archive;
  sessions: MemorySessions;
  now: Date;
  /** every message read off reeltime.upload, in order per partition */
  seen: ConsumedMessage[];
}

let h: Harness;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-upload-parts-"));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: dir };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  await bus.ensureTopics([{ name: TOPICS.upload, partitions: 2 }]);
  const sessions = new MemorySessions();
  h = { bus, archive, sessions, now: T0, seen: [] } as unknown as Harness;
  const uploads = await uploadsOnArchive({
    bus,
    archive,
    logger: createLogger("uploads-test", { level: process.env.UPLOADS_TEST_LOG ?? "silent" }),
    env: {
      REELTIME_WRITE_KEYS: `shop:${WRITE_KEY}`,
      REELTIME_CORS_ORIGINS: `shop=${ORIGIN}`,
      REELTIME_UPLOAD_URL_SECONDS: "900",
    },
    publicUrl: () => BASE,
    store: sessions,
    republishEveryMs: 0,
    now: () => h.now,
  });
  // The host as `reeltime dev` is: its own error handler, the routes under /v1.
  const app = Fastify();
  app.setErrorHandler(errorHandler({ bodyLimitBytes: 1024 * 1024 }));
  app.setNotFoundHandler((req, reply) => sendError(reply, "REELTIME_ERR_NOT_FOUND", `no route ${req.url}`));
  await app.register(uploads.routes, { prefix: "/v1" });
  h.app = app;
  const sub = await bus.consume({
    group: "parts-test",
    topics: [TOPICS.upload],
    handler: async (batch) => {
      h.seen.push(...batch.messages);
    },
  });
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => archive.shutdown(),
    () => bus.shutdown(),
    () => sub.stop(),
    () => uploads.close(),
    () => app.close(),
  );
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const post = (url: string, payload: object) =>
  h.app.inject({ method: "POST", url, payload, headers: { "x-reeltime-key": WRITE_KEY } });
const get = (url: string) => h.app.inject({ method: "GET", url, headers: { "x-reeltime-key": WRITE_KEY } });
/** PUTs a part as a client does: to the URL it was given (its path and query on this host), no key. */
const put = (url: string, body: Uint8Array | Readable, headers: Record<string, string> = {}) => {
  const u = new URL(url);
  const payload = body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body;
  return h.app.inject({ method: "PUT", url: u.pathname + u.search, payload, headers });
};
const slice = (file: Uint8Array, n: number, partBytes: number) => file.subarray((n - 1) * partBytes, n * partBytes);

interface Started {
  upload_id: string;
  video_id: string;
  part_bytes: number;
  parts: { number: number; url: string }[];
}
async function start(over: Record<string, unknown> = {}): Promise<Started> {
  const res = await post("/v1/uploads", {
    filename: "holiday.mp4",
    content_type: "video/mp4",
    bytes: FILE.byteLength,
    sha256: SHA,
    title: "Holiday",
    part_bytes: 5 * MiB,
    ...over,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Waits until every upload event published so far was read: a marker with the same key comes after them. */
async function uploadEvents(videoId: string) {
  const marker = `marker-${Math.random()}`;
  await h.bus.publish(TOPICS.upload, [{ key: videoId, value: new TextEncoder().encode(marker) }]);
  const deadline = Date.now() + 10_000;
  while (!h.seen.some((m) => new TextDecoder().decode(m.value) === marker)) {
    if (Date.now() > deadline) throw new Error("the marker was not read in time");
    await new Promise((r) => setTimeout(r, 20));
  }
  return h.seen
    .filter((m) => m.key === videoId && !new TextDecoder().decode(m.value).startsWith("marker-"))
    .map((m) => JSON.parse(new TextDecoder().decode(m.value)));
}

const partObjects = async () => (await h.archive.list(PARTS_PREFIX)).map((o) => o.key);

describe("part URLs the upload API serves itself", () => {
  it("upload in parts, resume from the listing, complete: one object under uploads/<app>/, one upload.completed", async () => {
    const up = await start();
    expect(up.part_bytes).toBe(5 * MiB);
    expect(up.parts.map((p) => p.number)).toEqual([1, 2, 3]);
    for (const p of up.parts) {
      const u = new URL(p.url);
      expect(u.origin).toBe(BASE);
      expect(u.pathname).toMatch(new RegExp(`^/v1/upload-parts/mp-[0-9a-f]{32}/${p.number}$`));
      expect(u.searchParams.get("length")).toBe(String(p.number === 3 ? 2 * MiB : 5 * MiB));
      expect(Number(u.searchParams.get("expires"))).toBe(T0.getTime() / 1000 + 900);
    }
    const etags = new Map<number, string>();
    for (const n of [1, 3]) {
      const res = await put(up.parts[n - 1]!.url, slice(FILE, n, up.part_bytes));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers.etag).toBe(`"${md5(slice(FILE, n, up.part_bytes))}"`);
      etags.set(n, String(res.headers.etag));
    }

    // The client lost its place: the listing says what is stored and hands out URLs for the rest.
    const status = (await get(`/v1/uploads/${up.upload_id}`)).json();
    expect(status.state).toBe("created");
    expect(status.parts_stored).toEqual([
      { number: 1, etag: etags.get(1), size: 5 * MiB },
      { number: 3, etag: etags.get(3), size: 2 * MiB },
    ]);
    expect(status.parts.map((p: { number: number }) => p.number)).toEqual([2]);
    const res2 = await put(status.parts[0].url, slice(FILE, 2, up.part_bytes));
    expect(res2.statusCode).toBe(200);
    etags.set(2, String(res2.headers.etag));

    h.now = new Date("2026-12-04T10:05:00.000Z");
    const parts = [1, 2, 3].map((number) => ({ number, etag: etags.get(number)! }));
    const done = await post(`/v1/uploads/${up.upload_id}/complete`, { parts });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ upload_id: up.upload_id, state: "completed", version: md5(FILE) });
    const key = `uploads/shop/${up.video_id}/source.mp4`;
    expect(Buffer.from(await h.archive.get(key)).equals(Buffer.from(FILE))).toBe(true);
    expect(await partObjects(), "the parts and the marker are gone").toEqual([]);

    // A retried complete answers the same and publishes nothing new.
    const again = await post(`/v1/uploads/${up.upload_id}/complete`, { parts });
    expect(again.json()).toEqual(done.json());

    const events = await uploadEvents(up.video_id);
    expect(events.map((e) => e.event_type)).toEqual(["upload.created", "upload.completed"]);
    const completed = events[1];
    expect(validateEvent(completed).ok).toBe(true);
    expect(completed).toMatchObject({
      event_id: uploadEventId(up.upload_id, "upload.completed", T0),
      app_id: "shop",
      client_ts: "2026-12-04T10:05:00.000Z",
      video: { id: up.video_id, title: "Holiday" },
      upload: {
        id: up.upload_id,
        bucket: "archive-fs",
        key,
        bytes: FILE.byteLength,
        parts: 3,
        checksum_sha256: SHA,
        source: "api",
        version: md5(FILE),
      },
    });
  });

  it("refuses a forged or altered URL (403 REELTIME_ERR_UPLOAD_URL) before storing a byte, also one moved to another upload", async () => {
    const a = await start();
    const b = await start();
    const url = new URL(a.parts[0]!.url);
    const idOf = (u: URL) => u.pathname.split("/")[3]!;
    const variants: [string, (u: URL) => void][] = [
      [
        "another token",
        (u) => {
          const t = u.searchParams.get("token")!;
          u.searchParams.set("token", (t[0] === "A" ? "B" : "A") + t.slice(1));
        },
      ],
      ["another upload", (u) => (u.pathname = u.pathname.replace(idOf(u), idOf(new URL(b.parts[0]!.url))))],
      ["another part", (u) => (u.pathname = u.pathname.replace(/\/1$/, "/2"))],
      ["another length", (u) => u.searchParams.set("length", String(6 * MiB))],
      ["a later expiry", (u) => u.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600))],
      ["no token", (u) => u.searchParams.delete("token")],
      ["a malformed upload id", (u) => (u.pathname = u.pathname.replace(idOf(u), "..%2F..%2Fmedia"))],
    ];
    for (const [what, change] of variants) {
      const u = new URL(url);
      change(u);
      const length = Number(u.searchParams.get("length")) || 5 * MiB;
      const res = await put(u.toString(), FILE.subarray(0, length));
      expect(res.statusCode, `${what}: ${res.body}`).toBe(403);
      expect(res.json().error.code, what).toBe("REELTIME_ERR_UPLOAD_URL");
      expect(res.json().error.message, what).toContain("not one the upload API signed");
    }
    expect((await partObjects()).filter((k) => !k.endsWith("/upload.json"))).toEqual([]);
    // The URL as it was handed out still works.
    expect((await put(url.toString(), slice(FILE, 1, a.part_bytes))).statusCode).toBe(200);
  });

  it("refuses an expired URL; the listing hands out fresh ones", async () => {
    const up = await start();
    h.now = new Date(T0.getTime() + 900_000);
    const res = await put(up.parts[0]!.url, slice(FILE, 1, up.part_bytes));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: "REELTIME_ERR_UPLOAD_URL",
      message:
        "this part URL expired at 2026-12-04T10:15:00.000Z; GET /v1/uploads/:id answers fresh URLs for the parts still missing",
    });
    const fresh = (await get(`/v1/uploads/${up.upload_id}`)).json();
    expect(fresh.parts.map((p: { number: number }) => p.number)).toEqual([1, 2, 3]);
    expect((await put(fresh.parts[0].url, slice(FILE, 1, up.part_bytes))).statusCode).toBe(200);
  });

  it("refuses a part of any other length than signed (400 REELTIME_ERR_PART_SIZE) and stores nothing of it", async () => {
    const up = await start();
    const url = up.parts[0]!.url;
    const short = await put(url, FILE.subarray(0, 5 * MiB - 1));
    expect(short.statusCode).toBe(400);
    expect(short.json().error).toEqual({
      code: "REELTIME_ERR_PART_SIZE",
      message: `part 1 must be exactly ${5 * MiB} bytes, as its URL was signed for; Content-Length says ${5 * MiB - 1}`,
    });
    const long = await put(url, FILE.subarray(0, 5 * MiB + 1));
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe("REELTIME_ERR_PART_SIZE");
    // A body without a length (chunked) is read no further than one byte past the signed length.
    const chunks = [FILE.subarray(0, 3 * MiB), FILE.subarray(3 * MiB, 6 * MiB)].map((c) => Buffer.from(c));
    const streamed = await put(url, Readable.from(chunks), { "transfer-encoding": "chunked" });
    expect(streamed.statusCode).toBe(400);
    expect(streamed.json().error).toEqual({
      code: "REELTIME_ERR_PART_SIZE",
      message: `part 1 must be exactly ${5 * MiB} bytes, as its URL was signed for; more were sent`,
    });
    const empty = await put(url, new Uint8Array(0));
    expect(empty.statusCode).toBe(400);
    expect((await partObjects()).filter((k) => !k.endsWith("/upload.json"))).toEqual([]);
    const status = (await get(`/v1/uploads/${up.upload_id}`)).json();
    expect(status.parts_stored).toEqual([]);
  });

  it("a part sent again replaces the first copy; a wrong or missing ETag is refused on complete (400)", async () => {
    const up = await start();
    const other = FILE.slice(0, 5 * MiB).map((b) => b ^ 0xff);
    const first = await put(up.parts[0]!.url, other);
    const second = await put(up.parts[0]!.url, slice(FILE, 1, up.part_bytes));
    expect(first.headers.etag).not.toBe(second.headers.etag);
    const listed = (await get(`/v1/uploads/${up.upload_id}`)).json();
    expect(listed.parts_stored).toEqual([{ number: 1, etag: second.headers.etag, size: 5 * MiB }]);
    await put(up.parts[1]!.url, slice(FILE, 2, up.part_bytes));
    const stale = await post(`/v1/uploads/${up.upload_id}/complete`, {
      parts: [
        { number: 1, etag: String(first.headers.etag) },
        { number: 2, etag: "x" },
        { number: 3, etag: "y" },
      ],
    });
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error).toEqual({
      code: "REELTIME_ERR_BODY",
      message:
        `the upload API holds part 1 with ETag ${second.headers.etag}, not ${first.headers.etag}: upload the missing parts ` +
        `(GET /v1/uploads/${up.upload_id} lists them) and send each part's ETag as its PUT was answered`,
    });
    const missing = await post(`/v1/uploads/${up.upload_id}/complete`, {
      parts: [
        { number: 1, etag: String(second.headers.etag) },
        { number: 2, etag: md5(slice(FILE, 2, up.part_bytes)) },
        { number: 3, etag: "y" },
      ],
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/^the upload API holds no part 3 of this upload: /);
    expect(await h.archive.exists(`uploads/shop/${up.video_id}/source.mp4`)).toBe(false);
    expect((await uploadEvents(up.video_id)).map((e) => e.event_type)).toEqual(["upload.created"]);
  });

  it("a bad checksum: 422, the object deleted, upload.aborted and no upload.completed; the upload takes no more parts", async () => {
    const up = await start();
    const other = FILE.slice();
    other[5 * MiB + 3] = (other[5 * MiB + 3] ?? 0) ^ 1;
    const etags: { number: number; etag: string }[] = [];
    for (const p of up.parts) {
      const res = await put(p.url, slice(other, p.number, up.part_bytes));
      etags.push({ number: p.number, etag: String(res.headers.etag) });
    }
    const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: etags });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({
      code: "REELTIME_ERR_CHECKSUM",
      message: `the stored object's SHA-256 is ${sha256(other)}, ${SHA} was announced; the object was deleted: upload the file again`,
    });
    expect(await h.archive.exists(`uploads/shop/${up.video_id}/source.mp4`)).toBe(false);
    expect(await partObjects()).toEqual([]);
    const events = await uploadEvents(up.video_id);
    expect(events.map((e) => e.event_type)).toEqual(["upload.created", "upload.aborted"]);
    expect(events[1].upload.error.code).toBe("REELTIME_ERR_CHECKSUM");
    const late = await put(up.parts[0]!.url, slice(FILE, 1, up.part_bytes));
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe("REELTIME_ERR_UPLOAD_STATE");
  });

  it("needs no write key on a part URL, but honours the app's browser origins", async () => {
    const up = await start();
    const denied = await put(up.parts[0]!.url, slice(FILE, 1, up.part_bytes), { origin: "https://evil.example" });
    expect(denied.statusCode, denied.body).toBe(403);
    expect(denied.json().error.code).toBe("REELTIME_ERR_CORS");
    const ok = await put(up.parts[0]!.url, slice(FILE, 1, up.part_bytes), { origin: ORIGIN });
    expect(ok.statusCode).toBe(200);
  });

  it("takes WebVTT subtitles per language beside the source while the upload is open, and refuses bad ones", async () => {
    const up = await start();
    const vtt = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nBonjour\n";
    const attach = (lang: string, body: string, type = "text/vtt") =>
      h.app.inject({
        method: "PUT",
        url: `/v1/uploads/${up.upload_id}/subtitles/${lang}`,
        payload: body,
        headers: { "x-reeltime-key": WRITE_KEY, "content-type": type },
      });
    const ok = await attach("pt-br", vtt);
    expect(ok.statusCode, ok.body).toBe(200);
    const key = `uploads/shop/${up.video_id}/subtitles/pt-BR.vtt`;
    expect(ok.json()).toEqual({
      upload_id: up.upload_id,
      video_id: up.video_id,
      language: "pt-BR",
      key,
      bytes: vtt.length,
    });
    expect(new TextDecoder().decode(await h.archive.get(key))).toBe(vtt);
    const bad = await attach("english", vtt);
    expect([bad.statusCode, bad.json().error.code]).toEqual([422, "REELTIME_ERR_BAD_SUBTITLES"]);
    const srt = await attach("fr", "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n");
    expect([srt.statusCode, srt.json().error.message]).toEqual([422, expect.stringMatching(/not WebVTT.*an SRT file/)]);
    const plain = await attach("fr", vtt, "text/plain");
    expect([plain.statusCode, plain.json().error.code]).toEqual([415, "REELTIME_ERR_MEDIA_TYPE"]);
    const nokey = await h.app.inject({
      method: "PUT",
      url: `/v1/uploads/${up.upload_id}/subtitles/fr`,
      payload: vtt,
      headers: { "content-type": "text/vtt" },
    });
    expect(nokey.statusCode).toBe(401);

    // Completed: the transcode has the files it had; no more are taken.
    const parts = [];
    for (const p of up.parts) {
      const res = await put(p.url, slice(FILE, p.number, up.part_bytes));
      parts.push({ number: p.number, etag: String(res.headers.etag) });
    }
    expect((await post(`/v1/uploads/${up.upload_id}/complete`, { parts })).statusCode).toBe(200);
    const late = await attach("de", vtt);
    expect([late.statusCode, late.json().error.message]).toEqual([
      409,
      expect.stringMatching(/is completed: attach subtitles before completing it/),
    ]);
    expect(await h.archive.exists(`uploads/shop/${up.video_id}/subtitles/de.vtt`)).toBe(false);
  });
});
