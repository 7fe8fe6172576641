import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { validateEvent } from "@reeltime/events";
import { createLogger, ReeltimeError } from "@reeltime/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadUploadsConfig } from "../src/config.ts";
import { uploadEventId } from "../src/events.ts";
import { UploadsBucket } from "../src/s3.ts";
import { UploadService } from "../src/service.ts";
import {
  BUCKET,
  body,
  type Harness,
  harness,
  MiB,
  ORIGIN,
  OTHER_KEY,
  sha256,
  uploadEvents,
  WRITE_KEY,
} from "./helpers.ts";

const FILE = new Uint8Array(12 * MiB).map((_, i) => i % 251);
const SHA = sha256(FILE);

const announce = (over: Record<string, unknown> = {}) => ({
  filename: "holiday.MP4",
  content_type: "video/mp4",
  bytes: FILE.byteLength,
  sha256: SHA,
  title: "Holiday",
  owner: { id: "user-42", email: "owner@example.com" },
  part_bytes: 5 * MiB,
  ...over,
});

describe("the upload API", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
    h.s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "s3-upload-1" });
  });
  afterEach(() => h.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: "POST",
      url,
      payload: payload as object,
      headers: { "x-reeltime-key": WRITE_KEY, ...headers },
    });
  const get = (url: string, key = WRITE_KEY) =>
    h.app.inject({ method: "GET", url, headers: { "x-reeltime-key": key } });

  async function start() {
    const res = await post("/v1/uploads", announce());
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as {
      upload_id: string;
      video_id: string;
      part_bytes: number;
      parts: { number: number; url: string }[];
    };
  }

  describe("POST /v1/uploads", () => {
    it("starts one multipart upload under a key the server makes and answers presigned part URLs", async () => {
      const up = await start();
      expect(up.upload_id).toMatch(/^upl-[0-9a-f-]{36}$/);
      expect(up.video_id).toMatch(/^vid-[0-9a-f-]{36}$/);
      expect(up.part_bytes).toBe(5 * MiB);
      const key = `uploads/shop/${up.video_id}/source.mp4`;
      expect(h.s3.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: key, ContentType: "video/mp4" },
      ]);
      expect(up.parts.map((p) => p.number)).toEqual([1, 2, 3]);
      for (const p of up.parts) {
        const url = new URL(p.url);
        expect(url.origin + url.pathname).toBe(`http://127.0.0.1:9000/${BUCKET}/${key}`);
        expect(url.searchParams.get("partNumber")).toBe(String(p.number));
        expect(url.searchParams.get("uploadId")).toBe("s3-upload-1");
        expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
        // The length is signed: S3 refuses a PUT of any other size.
        expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toContain("content-length");
      }
      const [created, ...rest] = uploadEvents(h.bus);
      expect(rest).toEqual([]);
      expect(created?.key).toBe(up.video_id);
      expect(validateEvent(created?.event).ok).toBe(true);
      expect(created?.event).toMatchObject({
        event_type: "upload.created",
        app_id: "shop",
        seq: 1,
        video: { id: up.video_id, title: "Holiday" },
        owner: { id: "user-42", email: "owner@example.com" },
        upload: { id: up.upload_id, bucket: BUCKET, key, bytes: FILE.byteLength, parts: 3, checksum_sha256: SHA },
      });
      expect(await h.sessions.usedQuota("shop", "2026-12-04")).toBe(FILE.byteLength);
    });

    it("raises a part size that would need more than 10,000 parts, and never goes under S3's 5 MiB", async () => {
      const res = await post("/v1/uploads", announce({ bytes: 90 * MiB, part_bytes: 1 }));
      expect(res.json().part_bytes).toBe(5 * MiB);
      expect(res.json().parts).toHaveLength(18);
    });

    const refusals: [string, Record<string, unknown>, Record<string, string>, number, string][] = [
      ["a size over the limit", { bytes: 100 * MiB + 1 }, {}, 413, "REELTIME_ERR_UPLOAD_TOO_LARGE"],
      ["a type off the allowlist", { content_type: "application/x-msdownload" }, {}, 415, "REELTIME_ERR_UPLOAD_TYPE"],
      ["a client that picks the key", { key: "tv/vid-1/source.mp4" }, {}, 400, "REELTIME_ERR_BODY"],
      ["a client that names the app", { app_id: "tv" }, {}, 400, "REELTIME_ERR_BODY"],
      ["a checksum that is not base64 SHA-256", { sha256: "abc" }, {}, 400, "REELTIME_ERR_BODY"],
      ["no write key", {}, { "x-reeltime-key": "" }, 401, "REELTIME_ERR_AUTH"],
      ["a wrong write key", {}, { "x-reeltime-key": "wk_nope_0123456789abcdef" }, 401, "REELTIME_ERR_AUTH"],
      ["an origin the app does not allow", {}, { origin: "https://evil.example" }, 403, "REELTIME_ERR_CORS"],
    ];
    for (const [what, over, headers, status, code] of refusals)
      it(`refuses ${what} before anything is stored (${status} ${code})`, async () => {
        const res = await post("/v1/uploads", announce(over), headers);
        expect(res.statusCode, res.body).toBe(status);
        expect(res.json().error.code).toBe(code);
        expect(h.s3.calls()).toHaveLength(0);
        expect(h.bus.published).toHaveLength(0);
        expect(h.sessions.rows.size).toBe(0);
      });

    it("says which types are allowed", async () => {
      const res = await post("/v1/uploads", announce({ content_type: "image/png" }));
      expect(res.json().error.message).toBe(
        'content type "image/png" is not allowed; send one of video/mp4, video/quicktime, video/webm, video/x-matroska',
      );
      // Parameters and case do not matter.
      const ok = await post("/v1/uploads", announce({ content_type: "Video/MP4; codecs=avc1" }));
      expect(ok.statusCode).toBe(201);
    });

    it("refuses an app over its daily quota with Retry-After until midnight UTC; other apps are not affected", async () => {
      for (let i = 0; i < 12; i++) expect((await post("/v1/uploads", announce())).statusCode).toBe(201);
      const refused = await post("/v1/uploads", announce());
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe("REELTIME_ERR_QUOTA");
      expect(refused.json().error.message).toContain(
        `has started ${12 * FILE.byteLength} of its ${150 * MiB} bytes today`,
      );
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(h.s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(12);
      const other = await post("/v1/uploads", announce(), { "x-reeltime-key": OTHER_KEY });
      expect(other.statusCode).toBe(201);
      // The next UTC day starts again.
      h.now = new Date("2026-12-05T00:00:01.000Z");
      expect((await post("/v1/uploads", announce())).statusCode).toBe(201);
    });

    it("gives the quota back when S3 cannot start the upload", async () => {
      h.s3
        .on(CreateMultipartUploadCommand)
        .rejects(Object.assign(new Error("down"), { name: "InternalError", $metadata: { httpStatusCode: 500 } }));
      const res = await post("/v1/uploads", announce());
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe("REELTIME_ERR_ARCHIVE_UNAVAILABLE");
      expect(await h.sessions.usedQuota("shop", "2026-12-04")).toBe(0);
      expect(h.sessions.rows.size).toBe(0);
      expect(h.bus.published).toHaveLength(0);
    });

    it("aborts the S3 upload and gives the quota back when the session cannot be stored", async () => {
      h.sessions.insert = async () => {
        throw new Error("database down");
      };
      const res = await post("/v1/uploads", announce());
      expect(res.statusCode).toBe(500);
      const [abort] = h.s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input);
      expect(abort).toEqual({
        Bucket: BUCKET,
        Key: expect.stringMatching(/^uploads\/shop\/vid-[0-9a-f-]{36}\/source\.mp4$/),
        UploadId: "s3-upload-1",
      });
      expect(await h.sessions.usedQuota("shop", "2026-12-04")).toBe(0);
    });
  });

  describe("GET /v1/uploads/:id (resume)", () => {
    it("lists the parts S3 holds and answers URLs for the missing ones only", async () => {
      const up = await start();
      h.s3.on(ListPartsCommand).resolves({
        Parts: [
          { PartNumber: 1, ETag: '"e1"', Size: 5 * MiB },
          { PartNumber: 3, ETag: '"e3"', Size: 2 * MiB },
        ],
      });
      const res = await get(`/v1/uploads/${up.upload_id}`);
      expect(res.statusCode, res.body).toBe(200);
      const status = res.json();
      expect(h.s3.commandCalls(ListPartsCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: `uploads/shop/${up.video_id}/source.mp4`, UploadId: "s3-upload-1" },
      ]);
      expect(status).toMatchObject({
        upload_id: up.upload_id,
        video_id: up.video_id,
        state: "created",
        part_bytes: 5 * MiB,
      });
      expect(status.parts_stored).toEqual([
        { number: 1, etag: '"e1"', size: 5 * MiB },
        { number: 3, etag: '"e3"', size: 2 * MiB },
      ]);
      expect(status.parts.map((p: { number: number }) => p.number)).toEqual([2]);
      expect(new URL(status.parts[0].url).searchParams.get("partNumber")).toBe("2");
    });

    it("reads every page of ListParts", async () => {
      const up = await start();
      h.s3
        .on(ListPartsCommand)
        .resolvesOnce({
          Parts: [{ PartNumber: 1, ETag: '"e1"', Size: 5 * MiB }],
          IsTruncated: true,
          NextPartNumberMarker: "1",
        })
        .resolvesOnce({ Parts: [{ PartNumber: 2, ETag: '"e2"', Size: 5 * MiB }], IsTruncated: false });
      const status = (await get(`/v1/uploads/${up.upload_id}`)).json();
      expect(h.s3.commandCalls(ListPartsCommand).map((c) => c.args[0].input.PartNumberMarker)).toEqual([
        undefined,
        "1",
      ]);
      expect(status.parts.map((p: { number: number }) => p.number)).toEqual([3]);
    });

    it("an upload S3 no longer holds (aborted or expired) is 409 REELTIME_ERR_UPLOAD_STATE, not an S3 failure", async () => {
      const up = await start();
      h.s3
        .on(ListPartsCommand)
        .rejects(Object.assign(new Error("gone"), { name: "NoSuchUpload", $metadata: { httpStatusCode: 404 } }));
      const res = await get(`/v1/uploads/${up.upload_id}`);
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error).toEqual({
        code: "REELTIME_ERR_UPLOAD_STATE",
        message: `S3 no longer holds the multipart upload of ${up.upload_id} (aborted or expired); start a new upload`,
      });
    });

    it("another app's key does not find it", async () => {
      const up = await start();
      const res = await get(`/v1/uploads/${up.upload_id}`, OTHER_KEY);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("REELTIME_ERR_NOT_FOUND");
      expect(h.s3.commandCalls(ListPartsCommand)).toHaveLength(0);
    });
  });

  describe("POST /v1/uploads/:id/complete", () => {
    const PARTS = [
      { number: 1, etag: '"e1"' },
      { number: 2, etag: '"e2"' },
      { number: 3, etag: '"e3"' },
    ];

    it("completes, checks the SHA-256 and publishes exactly one upload.completed, also when retried", async () => {
      const up = await start();
      const key = `uploads/shop/${up.video_id}/source.mp4`;
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1" });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      h.now = new Date("2026-12-04T10:05:00.000Z");
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        upload_id: up.upload_id,
        video_id: up.video_id,
        state: "completed",
        version: "v-1",
      });
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
        {
          Bucket: BUCKET,
          Key: key,
          UploadId: "s3-upload-1",
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: '"e1"' },
              { PartNumber: 2, ETag: '"e2"' },
              { PartNumber: 3, ETag: '"e3"' },
            ],
          },
        },
      ]);
      expect(h.s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: key, VersionId: "v-1" },
      ]);

      const again = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(res.json());
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);

      const completed = uploadEvents(h.bus).filter((e) => e.event.event_type === "upload.completed");
      expect(completed).toHaveLength(1);
      const [{ key: busKey, event }] = completed as [{ key: string; event: Record<string, unknown> }];
      expect(busKey).toBe(up.video_id);
      expect(validateEvent(event).ok).toBe(true);
      expect(event).toEqual({
        event_id: uploadEventId(up.upload_id, "upload.completed", new Date("2026-12-04T10:00:00.000Z")),
        schema_version: expect.any(String),
        event_type: "upload.completed",
        client_ts: "2026-12-04T10:05:00.000Z",
        seq: 2,
        app_id: "shop",
        video: { id: up.video_id, title: "Holiday" },
        owner: { id: "user-42", email: "owner@example.com" },
        upload: {
          id: up.upload_id,
          bucket: BUCKET,
          key,
          content_type: "video/mp4",
          bytes: FILE.byteLength,
          parts: 3,
          checksum_sha256: SHA,
          source: "api",
          version: "v-1",
        },
      });
    });

    it("the version is the ETag where the bucket keeps no versions", async () => {
      const up = await start();
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"' });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.json().version).toBe("abc-3");
      expect(h.s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
        Bucket: BUCKET,
        Key: `uploads/shop/${up.video_id}/source.mp4`,
      });
      expect(uploadEvents(h.bus).at(-1)?.event.upload.version).toBe("abc-3");
    });

    it("a bus outage answers 503; the retry publishes the one event without completing twice", async () => {
      const up = await start();
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"' });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      const publish = h.bus.publish.bind(h.bus);
      h.bus.publish = async () => {
        throw new ReeltimeError("REELTIME_ERR_BUS_UNAVAILABLE", "bus down");
      };
      const failed = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(failed.statusCode).toBe(503);
      expect(failed.json().error.code).toBe("REELTIME_ERR_BUS_UNAVAILABLE");
      h.bus.publish = publish;
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.statusCode).toBe(200);
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
      expect(uploadEvents(h.bus).filter((e) => e.event.event_type === "upload.completed")).toHaveLength(1);
      await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(uploadEvents(h.bus).filter((e) => e.event.event_type === "upload.completed")).toHaveLength(1);
    });

    it("an upload S3 completed on an earlier call that stopped short: found by HeadObject, checked, published", async () => {
      const up = await start();
      h.s3
        .on(CompleteMultipartUploadCommand)
        .rejects(Object.assign(new Error("gone"), { name: "NoSuchUpload", $metadata: { httpStatusCode: 404 } }));
      h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', ContentLength: FILE.byteLength });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.statusCode, res.body).toBe(200);
      expect(h.s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: `uploads/shop/${up.video_id}/source.mp4` },
      ]);
      expect(uploadEvents(h.bus).filter((e) => e.event.event_type === "upload.completed")).toHaveLength(1);
    });

    it("a bad checksum deletes the object, publishes upload.aborted with the reason and answers 422, also when retried", async () => {
      const up = await start();
      const key = `uploads/shop/${up.video_id}/source.mp4`;
      const other = FILE.slice();
      other[7] = (other[7] ?? 0) ^ 1;
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1" });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(other) }));
      h.s3.on(DeleteObjectCommand).resolves({});
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe("REELTIME_ERR_CHECKSUM");
      expect(res.json().error.message).toBe(
        `the stored object's SHA-256 is ${sha256(other)}, ${SHA} was announced; the object was deleted: upload the file again`,
      );
      expect(h.s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: key, VersionId: "v-1" },
      ]);
      const again = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(again.statusCode).toBe(422);
      expect(again.json()).toEqual(res.json());
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
      const events = uploadEvents(h.bus).map((e) => e.event);
      expect(events.map((e) => e.event_type)).toEqual(["upload.created", "upload.aborted"]);
      expect(validateEvent(events[1]).ok).toBe(true);
      expect(events[1].upload.error).toEqual({
        code: "REELTIME_ERR_CHECKSUM",
        message: `the stored object's SHA-256 is ${sha256(other)}, ${SHA} was announced`,
      });
      // An aborted upload cannot be resumed.
      const status = (await get(`/v1/uploads/${up.upload_id}`)).json();
      expect(status).toMatchObject({ state: "aborted", parts: [], error: { code: "REELTIME_ERR_CHECKSUM" } });
    });

    it("a short object (a part left out) is refused like a bad checksum", async () => {
      const up = await start();
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-2"' });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE.slice(0, 10 * MiB)) }));
      h.s3.on(DeleteObjectCommand).resolves({});
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.message).toContain(
        `the stored object has ${10 * MiB} bytes, ${FILE.byteLength} were announced`,
      );
    });

    it("refuses a part list that does not cover every part, without asking S3", async () => {
      const up = await start();
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS.slice(0, 2) });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({
        code: "REELTIME_ERR_BODY",
        message: `send the ETag of each of parts 1 to 3, in order (got 2 parts); GET /v1/uploads/${up.upload_id} lists the parts stored`,
      });
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    });

    it("another app's key cannot complete it", async () => {
      const up = await start();
      const res = await post(`/v1/uploads/${up.upload_id}/complete`, { parts: PARTS }, { "x-reeltime-key": OTHER_KEY });
      expect(res.statusCode).toBe(404);
      expect(h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    });
  });

  describe("PUT /v1/uploads/:id/subtitles/:lang", () => {
    it("puts the WebVTT file beside the source in the bucket, whole, as text/vtt", async () => {
      h.s3.on(PutObjectCommand).resolves({});
      const up = await start();
      const vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nHallo\n";
      const res = await h.app.inject({
        method: "PUT",
        url: `/v1/uploads/${up.upload_id}/subtitles/de`,
        payload: vtt,
        headers: { "x-reeltime-key": WRITE_KEY, "content-type": "text/vtt; charset=utf-8" },
      });
      expect(res.statusCode, res.body).toBe(200);
      const key = `uploads/shop/${up.video_id}/subtitles/de.vtt`;
      expect(res.json()).toMatchObject({ language: "de", key, bytes: vtt.length });
      const [input] = h.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
      expect({ ...input, Body: new TextDecoder().decode(input!.Body as Uint8Array) }).toEqual({
        Bucket: BUCKET,
        Key: key,
        Body: vtt,
        ContentType: "text/vtt",
      });
      const other = await h.app.inject({
        method: "PUT",
        url: `/v1/uploads/${up.upload_id}/subtitles/de`,
        payload: vtt,
        headers: { "x-reeltime-key": OTHER_KEY, "content-type": "text/vtt" },
      });
      expect(other.statusCode, "another app's upload").toBe(404);
    });
  });

  describe("CORS", () => {
    it("answers a preflight from an allowed origin and refuses one no app allows", async () => {
      const ok = await h.app.inject({
        method: "OPTIONS",
        url: "/v1/uploads",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-reeltime-key",
        },
      });
      expect(ok.statusCode).toBe(204);
      expect(ok.headers["access-control-allow-origin"]).toBe(ORIGIN);
      const refused = await h.app.inject({
        method: "OPTIONS",
        url: "/v1/uploads",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe("REELTIME_ERR_CORS");
    });
  });
});

describe("final events that missed the bus", () => {
  it("are published again by the sweep, once, with the same event id, when the client never retries", async () => {
    const h = await harness();
    try {
      const file = new Uint8Array(6 * MiB).map((_, i) => i % 5);
      h.s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "s3-sweep" });
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-2"' });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(file) }));
      const post = (url: string, payload: object) =>
        h.app.inject({ method: "POST", url, payload, headers: { "x-reeltime-key": WRITE_KEY } });
      const started = await post("/v1/uploads", {
        filename: "a.mp4",
        content_type: "video/mp4",
        bytes: file.byteLength,
        sha256: sha256(file),
      });
      const { upload_id } = started.json();
      const publish = h.bus.publish.bind(h.bus);
      h.bus.publish = async () => {
        throw new ReeltimeError("REELTIME_ERR_BUS_UNAVAILABLE", "bus down");
      };
      expect(
        (await post(`/v1/uploads/${upload_id}/complete`, { parts: [{ number: 1, etag: '"e1"' }] })).statusCode,
      ).toBe(503);
      const service = new UploadService({
        config: loadUploadsConfig({}),
        store: h.sessions,
        bucket: new UploadsBucket(new S3Client({}), BUCKET, 60),
        bus: h.bus,
        logger: createLogger("uploads-test", { level: "silent" }),
      });
      await expect(service.republishPending()).rejects.toMatchObject({ code: "REELTIME_ERR_BUS_UNAVAILABLE" });
      h.bus.publish = publish;
      expect(await service.republishPending()).toBe(1);
      expect(await service.republishPending()).toBe(0);
      const completed = uploadEvents(h.bus).filter((e) => e.event.event_type === "upload.completed");
      expect(completed).toHaveLength(1);
      expect(completed[0]?.event.event_id).toBe(
        uploadEventId(upload_id, "upload.completed", new Date("2026-12-04T10:00:00.000Z")),
      );
    } finally {
      await h.close();
    }
  });
});
