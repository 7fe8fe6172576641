import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";
import { createLogger } from "@reeltime/runtime";
import { RecordingBus } from "@reeltime/testkit";
import { mockClient } from "aws-sdk-client-mock";
import type { FastifyInstance } from "fastify";
import { buildUploadsApp } from "../src/app.ts";
import { loadUploadsConfig } from "../src/config.ts";
import { UploadsBucket } from "../src/s3.ts";
import type { NewUpload, UploadRow, UploadSessions } from "../src/store.ts";

export const WRITE_KEY = "wk_shop_0123456789abcdef";
export const OTHER_KEY = "wk_tv_0123456789abcdef00";
export const ORIGIN = "https://shop.example";
export const BUCKET = "reeltime-uploads";
export const MiB = 1024 * 1024;

/** Upload sessions in memory, with the SQL store's semantics (quota reserved in one step, states move once). */
export class MemorySessions implements UploadSessions {
  readonly rows = new Map<string, UploadRow>();
  readonly quota = new Map<string, number>();
  async reserveQuota(app: string, day: string, bytes: number, quota: number) {
    const used = this.quota.get(`${app}/${day}`) ?? 0;
    if (used + bytes > quota) return false;
    this.quota.set(`${app}/${day}`, used + bytes);
    return true;
  }
  async releaseQuota(app: string, day: string, bytes: number) {
    const k = `${app}/${day}`;
    if (this.quota.has(k)) this.quota.set(k, Math.max((this.quota.get(k) ?? 0) - bytes, 0));
  }
  async usedQuota(app: string, day: string) {
    return this.quota.get(`${app}/${day}`) ?? 0;
  }
  async insert(u: NewUpload) {
    if (this.rows.has(u.id)) throw new Error(`duplicate upload ${u.id}`);
    this.rows.set(u.id, {
      ...u,
      state: "created",
      version: null,
      parts: null,
      error_code: null,
      error_message: null,
      finished_at: null,
      event_published_at: null,
    });
  }
  async get(app: string, id: string) {
    const row = this.rows.get(id);
    return row && row.app_id === app ? { ...row } : undefined;
  }
  async getByVideo(app: string, videoId: string) {
    const row = [...this.rows.values()].find((r) => r.video_id === videoId && r.app_id === app);
    return row ? { ...row } : undefined;
  }
  async markCompleted(id: string, done: { version: string; parts: number; finishedAt: Date }) {
    const row = this.rows.get(id);
    if (row?.state !== "created") return undefined;
    Object.assign(row, { state: "completed", version: done.version, parts: done.parts, finished_at: done.finishedAt });
    return { ...row };
  }
  async markAborted(id: string, error: { code: string; message: string }, finishedAt: Date) {
    const row = this.rows.get(id);
    if (row?.state !== "created") return undefined;
    Object.assign(row, {
      state: "aborted",
      error_code: error.code,
      error_message: error.message,
      finished_at: finishedAt,
    });
    return { ...row };
  }
  async unpublished(limit: number) {
    return [...this.rows.values()]
      .filter((r) => r.state !== "created" && r.event_published_at === null)
      .sort((a, b) => (a.finished_at?.getTime() ?? 0) - (b.finished_at?.getTime() ?? 0))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async markPublished(id: string, at: Date) {
    const row = this.rows.get(id);
    if (row && row.event_published_at === null) row.event_published_at = at;
  }
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

/** A readable body as GetObject answers it. */
export const body = (bytes: Uint8Array) => Readable.from([Buffer.from(bytes)]) as never;

export interface Harness {
  app: FastifyInstance;
  s3: ReturnType<typeof mockS3>;
  /** the uploads bucket the app uses, on the mocked S3 client */
  bucket: UploadsBucket;
  bus: RecordingBus;
  sessions: MemorySessions;
  /** what the app stores sessions in: `sessions`, or the store given */
  store: UploadSessions;
  /** the pinned clock */
  now: Date;
  close(): Promise<void>;
}

const mockS3 = (client: S3Client) => mockClient(client);

/** The upload API over a fake S3 (aws-sdk-client-mock), a recording bus and in-memory sessions. */
export async function harness(env: NodeJS.ProcessEnv = {}, store?: UploadSessions): Promise<Harness> {
  const config = loadUploadsConfig({
    REELTIME_WRITE_KEYS: `shop:${WRITE_KEY},tv:${OTHER_KEY}`,
    REELTIME_CORS_ORIGINS: `shop=${ORIGIN}`,
    REELTIME_UPLOAD_MAX_BYTES: String(100 * MiB),
    REELTIME_UPLOAD_QUOTA_BYTES: String(150 * MiB),
    ...env,
  });
  const client = new S3Client({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9000",
    forcePathStyle: true,
    credentials: { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key" },
  });
  const s3 = mockS3(client);
  const bus = new RecordingBus();
  const sessions = new MemorySessions();
  const h = { now: new Date("2026-12-04T10:00:00.000Z") } as Harness;
  const bucket = new UploadsBucket(client, BUCKET, 900);
  const app = await buildUploadsApp({
    config,
    bus,
    store: store ?? sessions,
    bucket,
    logger: createLogger("uploads-test", { level: process.env.UPLOADS_TEST_LOG ?? "silent" }),
    now: () => h.now,
  });
  return Object.assign(h, {
    app,
    s3,
    bucket,
    bus,
    sessions,
    store: store ?? sessions,
    close: async () => {
      await app.close();
      s3.restore();
    },
  });
}

/** The upload events published, decoded, in order. */
export const uploadEvents = (bus: RecordingBus) =>
  bus.published
    .filter((p) => p.topic === "reeltime.upload")
    .map((p) => ({ key: p.message.key, event: JSON.parse(new TextDecoder().decode(p.message.value)) }));
