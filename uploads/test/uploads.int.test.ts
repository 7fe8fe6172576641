import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ClientConfig } from "@reeltime/archive-s3";
import { type Bus, type ConsumedMessage, createBus } from "@reeltime/connectors";
import { TOPICS, validateEvent } from "@reeltime/events";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUploadsApp } from "../src/app.ts";
import { loadUploadsConfig } from "../src/config.ts";
import { openUploadsDatabase } from "../src/database.ts";
import { UploadsBucket } from "../src/s3.ts";
import { UploadStore } from "../src/store.ts";

// The real S3 server (SeaweedFS) of `reeltime infra up`, or the one REELTIME_S3_ENDPOINT names
// (credentials through the SDK's chain: the integration tier sets them in vitest.config.ts), its
// archive bucket (uploads/ folder), a real HTTP client doing the presigned PUTs, the embedded bus
// and an in-memory PGlite.
const WRITE_KEY = "wk_int_0123456789abcdef";
const MiB = 1024 * 1024;
const S3_ENDPOINT = process.env.REELTIME_S3_ENDPOINT ?? "http://127.0.0.1:9000";
const BUCKET = process.env.REELTIME_S3_BUCKET ?? "reeltime-archive";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64");

let dir: string;
let bus: Bus;
let app: FastifyInstance;
let base: string;
let s3: S3Client;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-uploads-int-"));
  const connections = loadEnv(ConnectionEnv, {
    REELTIME_DATA_DIR: dir,
    REELTIME_S3_ENDPOINT: S3_ENDPOINT,
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  });
  bus = await createBus(connections);
  await bus.start();
  await bus.ensureTopics([{ name: TOPICS.upload, partitions: 1 }]);
  const db = await openUploadsDatabase({ REELTIME_PG_URL: "memory://", REELTIME_DATA_DIR: dir });
  closeDb = () => db.close();
  s3 = new S3Client(s3ClientConfig(connections));
  const config = loadUploadsConfig({
    REELTIME_WRITE_KEYS: `inttest:${WRITE_KEY}`,
    REELTIME_UPLOAD_QUOTA_BYTES: String(100 * MiB),
  });
  app = await buildUploadsApp({
    config,
    bus,
    store: new UploadStore(db),
    bucket: new UploadsBucket(s3, BUCKET, 600),
    logger: createLogger("uploads-int", { level: "warn" }),
  });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await app?.close();
  await bus?.shutdown();
  await closeDb?.();
  s3?.destroy();
  await rm(dir, { recursive: true, force: true });
});

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers: { "x-reeltime-key": WRITE_KEY, ...(init.body ? { "content-type": "application/json" } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });

const put = (url: string, bytes: Uint8Array) => fetch(url, { method: "PUT", body: bytes });

/** Upload events on the bus for one upload id (a fresh consumer group reads from the start). */
async function eventsOf(uploadId: string, wanted: number, timeoutMs = 10_000): Promise<Record<string, unknown>[]> {
  const got: Record<string, unknown>[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const sub = await bus.consume({
    group: `uploads-int-${Math.random().toString(36).slice(2)}`,
    topics: [TOPICS.upload],
    start: "earliest",
    handler: async (batch: { messages: ConsumedMessage[] }) => {
      for (const m of batch.messages) {
        const e = JSON.parse(new TextDecoder().decode(m.value)) as { upload?: { id?: string } };
        if (e.upload?.id === uploadId) got.push(e as Record<string, unknown>);
      }
      if (got.length >= wanted) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await sub.stop();
  return got;
}

describe("the upload API on S3 (SeaweedFS)", () => {
  it("a presigned multipart upload from a real HTTP client, resumed after listing parts, completed once", async () => {
    const file = new Uint8Array(randomBytes(5 * MiB + 300 * 1024));
    const started = await api("/v1/uploads", {
      method: "POST",
      body: {
        filename: "clip.mp4",
        content_type: "video/mp4",
        bytes: file.byteLength,
        sha256: sha256(file),
        title: "Integration clip",
        owner: { id: "user-int" },
        part_bytes: 5 * MiB,
      },
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const up = (await started.json()) as {
      upload_id: string;
      video_id: string;
      part_bytes: number;
      parts: { number: number; url: string }[];
    };
    expect(up.parts.map((p) => p.number)).toEqual([1, 2]);
    const first = file.subarray(0, 5 * MiB);
    const second = file.subarray(5 * MiB);

    // Part 1, then the client "goes away".
    const r1 = await put(up.parts[0]?.url ?? "", first);
    expect(r1.status, await r1.clone().text()).toBe(200);
    const etag1 = r1.headers.get("etag");
    expect(etag1).toBeTruthy();

    // A part of another size than the one signed is refused by S3 itself.
    const wrongSize = await put(up.parts[1]?.url ?? "", second.subarray(1));
    expect(wrongSize.status).toBe(403);

    // Resume: the API lists what S3 holds and signs only what is missing.
    const status = (await (await api(`/v1/uploads/${up.upload_id}`)).json()) as {
      parts_stored: { number: number; etag: string }[];
      parts: { number: number; url: string }[];
    };
    expect(status.parts_stored.map((p) => p.number)).toEqual([1]);
    expect(status.parts_stored[0]?.etag).toBe(etag1);
    expect(status.parts.map((p) => p.number)).toEqual([2]);
    const r2 = await put(status.parts[0]?.url ?? "", second);
    expect(r2.status).toBe(200);
    const etag2 = r2.headers.get("etag") ?? "";

    const parts = [
      { number: 1, etag: etag1 ?? "" },
      { number: 2, etag: etag2 },
    ];
    const done = await api(`/v1/uploads/${up.upload_id}/complete`, { method: "POST", body: { parts } });
    expect(done.status, await done.clone().text()).toBe(200);
    const result = (await done.json()) as { state: string; version: string };
    expect(result.state).toBe("completed");

    // A retried complete answers the same and publishes nothing new.
    const again = await api(`/v1/uploads/${up.upload_id}/complete`, { method: "POST", body: { parts } });
    expect(again.status).toBe(200);

    const key = `uploads/inttest/${up.video_id}/source.mp4`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(file.byteLength);

    const events = await eventsOf(up.upload_id, 3, 5_000);
    expect(events.map((e) => e.event_type)).toEqual(["upload.created", "upload.completed"]);
    const completed = events[1] as Record<string, unknown>;
    expect(validateEvent(completed).ok).toBe(true);
    expect(completed).toMatchObject({
      app_id: "inttest",
      video: { id: up.video_id, title: "Integration clip" },
      owner: { id: "user-int" },
      upload: {
        id: up.upload_id,
        bucket: BUCKET,
        key,
        bytes: file.byteLength,
        parts: 2,
        checksum_sha256: sha256(file),
        source: "api",
        version: result.version,
      },
    });
  });

  it("a file that is not the one announced is deleted and answered 422, with upload.aborted", async () => {
    const file = new Uint8Array(randomBytes(64 * 1024));
    const wrong = new Uint8Array(randomBytes(32));
    const started = await api("/v1/uploads", {
      method: "POST",
      body: { filename: "x.webm", content_type: "video/webm", bytes: file.byteLength, sha256: sha256(wrong) },
    });
    expect(started.status).toBe(201);
    const up = (await started.json()) as { upload_id: string; video_id: string; parts: { url: string }[] };
    const r = await put(up.parts[0]?.url ?? "", file);
    expect(r.status).toBe(200);
    const res = await api(`/v1/uploads/${up.upload_id}/complete`, {
      method: "POST",
      body: { parts: [{ number: 1, etag: r.headers.get("etag") ?? "" }] },
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("REELTIME_ERR_CHECKSUM");
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `uploads/inttest/${up.video_id}/source.webm` })),
    ).rejects.toMatchObject({ name: "NotFound" });
    const events = await eventsOf(up.upload_id, 2);
    expect(events.map((e) => e.event_type)).toEqual(["upload.created", "upload.aborted"]);
  });
});
