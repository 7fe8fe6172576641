import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { type Database, MEMORY_URL } from "@reeltime/database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUploadsDatabase } from "../src/database.ts";
import { type NewUpload, UPLOAD_MIGRATIONS, UploadStore } from "../src/store.ts";
import { body, harness, MiB, sha256, uploadEvents, WRITE_KEY } from "./helpers.ts";

// The SQL of the upload sessions and quotas, on an in-memory PGlite (the same SQL as PostgreSQL).
let db: Database;
let store: UploadStore;
beforeAll(async () => {
  db = await openUploadsDatabase({ REELTIME_PG_URL: MEMORY_URL });
  store = new UploadStore(db);
}, 60_000);
afterAll(() => db?.close());

let n = 0;
const upload = (over: Partial<NewUpload> = {}): NewUpload => {
  n++;
  return {
    id: `upl-0192f3a0-7c1e-7d2a-9b1c-3e4f5a6b${String(n).padStart(4, "0")}`,
    app_id: "shop",
    video_id: `vid-${n}`,
    bucket: "reeltime-uploads",
    key: `shop/vid-${n}/source.mp4`,
    s3_upload_id: `s3-${n}`,
    filename: "a.mp4",
    content_type: "video/mp4",
    bytes: 6_000_000_000,
    part_bytes: 16 * MiB,
    sha256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
    title: "A 'quoted'; title",
    owner_id: "user-1",
    owner_email: null,
    created_at: new Date("2026-12-04T10:00:00.000Z"),
    ...over,
  };
};

describe("upload sessions in SQL", () => {
  it("migrations are owned by uploads and apply once", async () => {
    const { rows } = await db.query("SELECT owner, version FROM reeltime_migrations WHERE owner = $1", ["uploads"]);
    expect(rows).toEqual([{ owner: "uploads", version: 1 }]);
    expect(UPLOAD_MIGRATIONS.map((m) => m.version)).toEqual([1]);
    const again = await openUploadsDatabase({ REELTIME_PG_URL: MEMORY_URL });
    await again.close();
  }, 60_000);

  it("stores and reads a session (bigint bytes, timestamps, quotes in values) for its own app only", async () => {
    const u = upload();
    await store.insert(u);
    const row = await store.get("shop", u.id);
    expect(row).toMatchObject({ ...u, state: "created", version: null, event_published_at: null });
    expect(row?.bytes).toBe(6_000_000_000);
    expect(row?.created_at.toISOString()).toBe("2026-12-04T10:00:00.000Z");
    expect(await store.get("tv", u.id)).toBeUndefined();
    await expect(store.insert(u)).rejects.toBeDefined();
  });

  it("finds a session by its app and video (as S3's notification of its key names them), another app's not", async () => {
    const u = upload({ video_id: "vid-it's; --" });
    await store.insert(u);
    expect(await store.getByVideo("shop", "vid-it's; --")).toEqual(await store.get("shop", u.id));
    expect(await store.getByVideo("tv", "vid-it's; --")).toBeUndefined();
    expect(await store.getByVideo("shop", "vid-none")).toBeUndefined();
    // video_id is unique: a second session of the same video is refused.
    await expect(store.insert(upload({ video_id: "vid-it's; --" }))).rejects.toBeDefined();
  });

  it("a state moves once: created → completed, then neither completed nor aborted again", async () => {
    const u = upload();
    await store.insert(u);
    const at = new Date("2026-12-04T10:05:00.000Z");
    const done = await store.markCompleted(u.id, { version: "v-1", parts: 3, finishedAt: at });
    expect(done).toMatchObject({ state: "completed", version: "v-1", parts: 3, finished_at: at });
    expect(await store.markCompleted(u.id, { version: "v-2", parts: 3, finishedAt: at })).toBeUndefined();
    expect(await store.markAborted(u.id, { code: "REELTIME_ERR_CHECKSUM", message: "x" }, at)).toBeUndefined();
    await store.markPublished(u.id, at);
    await store.markPublished(u.id, new Date("2026-12-05T00:00:00.000Z"));
    expect((await store.get("shop", u.id))?.event_published_at).toEqual(at);
  });

  it("lists finished uploads whose final event is not recorded as published, until it is", async () => {
    const u = upload();
    await store.insert(u);
    expect((await store.unpublished(100)).map((r) => r.id)).not.toContain(u.id);
    await store.markAborted(u.id, { code: "REELTIME_ERR_CHECKSUM", message: "bad" }, new Date("2026-12-04T10:01:00Z"));
    const pending = await store.unpublished(100);
    expect(pending.find((r) => r.id === u.id)).toMatchObject({ state: "aborted", error_code: "REELTIME_ERR_CHECKSUM" });
    await store.markPublished(u.id, new Date("2026-12-04T10:02:00Z"));
    expect((await store.unpublished(100)).map((r) => r.id)).not.toContain(u.id);
  });

  it("a quota is reserved in one statement: racing reservations never pass it", async () => {
    const tries = await Promise.all(
      Array.from({ length: 10 }, () => store.reserveQuota("race", "2026-12-04", 30, 100)),
    );
    expect(tries.filter(Boolean)).toHaveLength(3);
    expect(await store.usedQuota("race", "2026-12-04")).toBe(90);
    expect(await store.reserveQuota("race", "2026-12-04", 10, 100)).toBe(true);
    expect(await store.reserveQuota("race", "2026-12-04", 1, 100)).toBe(false);
    // Another day and another app count apart; an upload larger than the quota is refused outright.
    expect(await store.reserveQuota("race", "2026-12-05", 100, 100)).toBe(true);
    expect(await store.reserveQuota("other", "2026-12-04", 100, 100)).toBe(true);
    expect(await store.reserveQuota("big", "2026-12-04", 101, 100)).toBe(false);
    await store.releaseQuota("race", "2026-12-04", 40);
    expect(await store.usedQuota("race", "2026-12-04")).toBe(60);
    await store.releaseQuota("race", "2026-12-04", 1000);
    expect(await store.usedQuota("race", "2026-12-04")).toBe(0);
  });

  it("the API on the SQL store: quota, complete, and a retried complete that publishes nothing new", async () => {
    const h = await harness({ REELTIME_UPLOAD_QUOTA_BYTES: String(20 * MiB) }, store);
    try {
      const file = new Uint8Array(6 * MiB).map((_, i) => i % 7);
      h.s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "s3-sql" });
      h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-2"' });
      h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(file) }));
      const post = (url: string, payload: object) =>
        h.app.inject({ method: "POST", url, payload, headers: { "x-reeltime-key": WRITE_KEY } });
      const announce = { filename: "a.mp4", content_type: "video/mp4", bytes: file.byteLength, sha256: sha256(file) };
      const started = await post("/v1/uploads", announce);
      expect(started.statusCode, started.body).toBe(201);
      const { upload_id } = started.json();
      const parts = { parts: [{ number: 1, etag: '"e1"' }] };
      const done = await post(`/v1/uploads/${upload_id}/complete`, parts);
      expect(done.statusCode, done.body).toBe(200);
      expect((await post(`/v1/uploads/${upload_id}/complete`, parts)).statusCode).toBe(200);
      const types = uploadEvents(h.bus).map((e) => e.event.event_type);
      expect(types).toEqual(["upload.created", "upload.completed"]);
      expect((await store.get("shop", upload_id))?.state).toBe("completed");
      // 6 + 6 + 6 MiB fit in 20 MiB; the fourth does not.
      expect((await post("/v1/uploads", announce)).statusCode).toBe(201);
      expect((await post("/v1/uploads", announce)).statusCode).toBe(201);
      expect((await post("/v1/uploads", announce)).statusCode).toBe(429);
    } finally {
      await h.close();
    }
  });
});
