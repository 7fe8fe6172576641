import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
} from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type Database, MEMORY_URL } from "@reeltime/database";
import { validateEvent } from "@reeltime/events";
import { createLogger, ReeltimeError } from "@reeltime/runtime";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseObjectCreated, retryVisibilitySeconds, UploadNotificationBridge } from "../src/bridge.ts";
import { loadUploadsConfig } from "../src/config.ts";
import { openUploadsDatabase } from "../src/database.ts";
import { uploadEventId } from "../src/events.ts";
import { UploadService } from "../src/service.ts";
import { type NewUpload, UploadStore } from "../src/store.ts";
import { BUCKET, body, type Harness, harness, MiB, sha256, uploadEvents, WRITE_KEY } from "./helpers.ts";

// The bridge from S3's notifications (S3 → EventBridge → SQS) to the bus: SQS and S3 faked with
// aws-sdk-client-mock, sessions in SQL on in-memory PGlite, the recording bus.

const FILE = new Uint8Array(12 * MiB).map((_, i) => i % 251);
const SHA = sha256(FILE);
const QUEUE = "https://sqs.eu-west-1.amazonaws.com/111122223333/Reeltime-UploadNotifications";
const PARTS = [
  { number: 1, etag: '"e1"' },
  { number: 2, etag: '"e2"' },
  { number: 3, etag: '"e3"' },
];
const STARTED = new Date("2026-12-04T10:00:00.000Z");
const logger = createLogger("uploads-test", { level: process.env.UPLOADS_TEST_LOG ?? "silent" });

/** S3's `Object Created` event on EventBridge (the S3 user guide's example), as the rule sends it to the queue. */
const objectCreated = (key: string, over: { bucket?: string; time?: string | undefined; version?: string } = {}) => ({
  version: "0",
  id: "17793124-05d4-b198-2fde-7ededc63b103",
  "detail-type": "Object Created",
  source: "aws.s3",
  account: "111122223333",
  ...(over.time === undefined && "time" in over ? {} : { time: over.time ?? "2026-12-04T10:04:00Z" }),
  region: "eu-west-1",
  resources: [`arn:aws:s3:::${over.bucket ?? BUCKET}`],
  detail: {
    version: "0",
    bucket: { name: over.bucket ?? BUCKET },
    object: {
      key,
      size: FILE.byteLength,
      etag: "abc-3",
      ...(over.version === "" ? {} : { "version-id": over.version ?? "v-1" }),
      sequencer: "617f08299329d189",
    },
    "request-id": "N4N7GDK58NMKJ12R",
    requester: "123456789012",
    "source-ip-address": "1.2.3.4",
    reason: "CompleteMultipartUpload",
  },
});

let n = 0;
const message = (bodyText: string, receives = 1, extra: Record<string, string> = {}): Message => {
  n++;
  return {
    MessageId: `m-${n}`,
    ReceiptHandle: `rh-${n}`,
    Body: bodyText,
    Attributes: { ApproximateReceiveCount: String(receives), ...extra },
  };
};
const notification = (key: string, over: Parameters<typeof objectCreated>[1] = {}, receives = 1) =>
  message(JSON.stringify(objectCreated(key, over)), receives);

/** A session row as the upload API writes it on start, with a fixed id (so two stores can hold the same upload). */
const session = (id: string, video: string): NewUpload => ({
  id,
  app_id: "shop",
  video_id: video,
  bucket: BUCKET,
  key: `uploads/shop/${video}/source.mp4`,
  s3_upload_id: "s3-upload-1",
  filename: "holiday.MP4",
  content_type: "video/mp4",
  bytes: FILE.byteLength,
  part_bytes: 5 * MiB,
  sha256: SHA,
  title: "Holiday",
  owner_id: "user-42",
  owner_email: "owner@example.com",
  created_at: STARTED,
});

let dbs: Database[] = [];
let store: UploadStore;
let otherStore: UploadStore;
beforeAll(async () => {
  dbs = [
    await openUploadsDatabase({ REELTIME_PG_URL: MEMORY_URL }),
    await openUploadsDatabase({ REELTIME_PG_URL: MEMORY_URL }),
  ];
  store = new UploadStore(dbs[0]!);
  otherStore = new UploadStore(dbs[1]!);
}, 60_000);
afterAll(async () => {
  for (const db of dbs) await db.close();
});

/** The upload API over the fake S3, the recording bus and a PGlite store, with a bridge on a fake SQS beside it. */
async function world(sessions: UploadStore = store, over: { heartbeatMs?: number } = {}) {
  const h = await harness({ REELTIME_UPLOAD_QUOTA_BYTES: "0" }, sessions);
  h.s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "s3-upload-1" });
  const sqs = new SQSClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key" },
  });
  const queue = mockClient(sqs);
  queue.on(DeleteMessageCommand).resolves({});
  queue.on(ChangeMessageVisibilityCommand).resolves({});
  const service = new UploadService({
    config: loadUploadsConfig({}),
    store: sessions,
    bucket: h.bucket,
    bus: h.bus,
    logger,
    now: () => h.now,
  });
  const bridge = new UploadNotificationBridge({
    sqs,
    queueUrl: QUEUE,
    bucket: BUCKET,
    store: sessions,
    service,
    graceSeconds: 600,
    logger,
    now: () => h.now,
    ...over,
  });
  const post = (url: string, payload: object) =>
    h.app.inject({ method: "POST", url, payload, headers: { "x-reeltime-key": WRITE_KEY } });
  return {
    h,
    sqs,
    queue,
    service,
    bridge,
    post,
    deleted: () => queue.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input),
    visibility: () => queue.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input),
    close: async () => {
      queue.restore();
      sqs.destroy();
      await h.close();
    },
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** Starts an upload through the API, as a browser does: its id, video and key. */
async function start(w: World) {
  const res = await w.post("/v1/uploads", {
    filename: "holiday.MP4",
    content_type: "video/mp4",
    bytes: FILE.byteLength,
    sha256: SHA,
    title: "Holiday",
    part_bytes: 5 * MiB,
  });
  expect(res.statusCode, res.body).toBe(201);
  const { upload_id, video_id } = res.json() as { upload_id: string; video_id: string };
  return { id: upload_id, video: video_id, key: `uploads/shop/${video_id}/source.mp4` };
}

const finals = (h: Harness) =>
  uploadEvents(h.bus).filter(
    (e) => e.event.event_type === "upload.completed" || e.event.event_type === "upload.aborted",
  );

describe("the upload notifications bridge", () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(() => w.close());

  it("an old session S3 completed and the API never recorded: checked, the event complete would have published, deleted; a later complete publishes nothing new", async () => {
    const id = "upl-0192f3a0-7c1e-7d2a-9b1c-3e4f5a6b0001";
    const video = "vid-0192f3a0-7c1e-7d2a-9b1c-3e4f5a6b0001";
    const key = `uploads/shop/${video}/source.mp4`;
    // Where the client's complete reached the API (S3 answers the completion with the version).
    const api = await world(otherStore);
    try {
      await otherStore.insert(session(id, video));
      api.h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1" });
      api.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      api.h.now = new Date("2026-12-04T10:15:00.000Z");
      const completed = await api.post(`/v1/uploads/${id}/complete`, { parts: PARTS });
      expect(completed.statusCode, completed.body).toBe(200);

      // Where the API's pod died after S3 completed it: the notification, 11 min after S3's event.
      await store.insert(session(id, video));
      w.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1", ContentLength: FILE.byteLength });
      w.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
      w.h.now = new Date("2026-12-04T10:15:00.000Z");
      const m = notification(key);
      expect(await w.bridge.handle(m)).toBe("deleted");
      expect(w.deleted()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle }]);
      expect(w.h.s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: key, VersionId: "v-1" },
      ]);

      const [fromApi] = api.h.bus.published.filter((p) => p.topic === "reeltime.upload").slice(-1);
      const fromBridge = w.h.bus.published.filter((p) => p.topic === "reeltime.upload");
      expect(fromBridge).toHaveLength(1);
      expect(fromBridge[0]?.message.key).toEqual(fromApi?.message.key);
      expect(Buffer.from(fromBridge[0]?.message.value ?? []).equals(Buffer.from(fromApi?.message.value ?? []))).toBe(
        true,
      );
      const [event] = finals(w.h).map((e) => e.event);
      expect(validateEvent(event).ok).toBe(true);
      expect(event).toMatchObject({
        event_id: uploadEventId(id, "upload.completed", STARTED),
        event_type: "upload.completed",
        client_ts: "2026-12-04T10:15:00.000Z",
        upload: { id, key, version: "v-1", parts: 3, bytes: FILE.byteLength, checksum_sha256: SHA, source: "api" },
      });

      // The client comes back and completes: the same answer, no S3 completion, nothing new on the bus.
      const late = await w.post(`/v1/uploads/${id}/complete`, { parts: PARTS });
      expect(late.statusCode, late.body).toBe(200);
      expect(late.json()).toEqual(completed.json());
      expect(w.h.s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
      expect(w.h.bus.published.filter((p) => p.topic === "reeltime.upload")).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it("where the bucket keeps no versions, the version is the object's ETag, as complete records it", async () => {
    const up = await start(w);
    w.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', ContentLength: FILE.byteLength });
    w.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
    w.h.now = new Date("2026-12-04T10:30:00.000Z");
    expect(await w.bridge.handle(notification(up.key, { version: "" }))).toBe("deleted");
    expect(w.h.s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: BUCKET, Key: up.key });
    expect(finals(w.h).map((e) => e.event.upload.version)).toEqual(["abc-3"]);
  });

  it("a completion the API recorded: the notification is deleted, nothing published, S3 not asked", async () => {
    const up = await start(w);
    w.h.s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1" });
    w.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
    expect((await w.post(`/v1/uploads/${up.id}/complete`, { parts: PARTS })).statusCode).toBe(200);
    const before = w.h.bus.published.length;
    const s3Calls = w.h.s3.calls().length;
    w.h.now = new Date("2026-12-04T11:00:00.000Z");
    const m = notification(up.key);
    expect(await w.bridge.handle(m)).toBe("deleted");
    expect(w.deleted()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle }]);
    expect(w.h.bus.published).toHaveLength(before);
    expect(w.h.s3.calls()).toHaveLength(s3Calls);
    expect(finals(w.h)).toHaveLength(1);
  });

  it("a session still open within the grace period: left on the queue until the grace is over, nothing published", async () => {
    const up = await start(w);
    // S3 completed it 100 s ago (the event's time): the client's own complete has 500 s more.
    w.h.now = new Date("2026-12-04T10:05:40.000Z");
    const m = notification(up.key, { time: "2026-12-04T10:04:00Z" });
    expect(await w.bridge.handle(m)).toBe("deferred");
    expect(w.visibility()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 500 }]);
    expect(w.deleted()).toEqual([]);
    expect(w.h.s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(finals(w.h)).toEqual([]);
    expect((await store.get("shop", up.id))?.state).toBe("created");
    // Without the event's time, the time SQS received the message counts.
    const sent = message(JSON.stringify(objectCreated(up.key, { time: undefined })), 1, {
      SentTimestamp: String(Date.parse("2026-12-04T10:05:30.000Z")),
    });
    expect(await w.bridge.handle(sent)).toBe("deferred");
    expect(w.visibility().at(-1)?.VisibilityTimeout).toBe(590);
  });

  it("a checksum that does not match: the object deleted, upload.aborted published, the notification deleted", async () => {
    const up = await start(w);
    const other = FILE.slice();
    other[7] = (other[7] ?? 0) ^ 1;
    w.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1", ContentLength: FILE.byteLength });
    w.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(other) }));
    w.h.s3.on(DeleteObjectCommand).resolves({});
    w.h.now = new Date("2026-12-04T10:20:00.000Z");
    const m = notification(up.key);
    expect(await w.bridge.handle(m)).toBe("deleted");
    expect(w.h.s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: up.key, VersionId: "v-1" },
    ]);
    const events = finals(w.h).map((e) => e.event);
    expect(events.map((e) => e.event_type)).toEqual(["upload.aborted"]);
    expect(validateEvent(events[0]).ok).toBe(true);
    expect(events[0].event_id).toBe(uploadEventId(up.id, "upload.aborted", STARTED));
    expect(events[0].upload.error).toEqual({
      code: "REELTIME_ERR_CHECKSUM",
      message: `the stored object's SHA-256 is ${sha256(other)}, ${SHA} was announced`,
    });
    expect(w.deleted()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle }]);
    // The client's late complete gets the 422 complete would have answered, and nothing new is published.
    const late = await w.post(`/v1/uploads/${up.id}/complete`, { parts: PARTS });
    expect(late.statusCode).toBe(422);
    expect(late.json().error.code).toBe("REELTIME_ERR_CHECKSUM");
    expect(finals(w.h)).toHaveLength(1);
  });

  const dropped: [string, (key: string) => Message][] = [
    ["a key with no upload session", () => notification("uploads/shop/vid-nobody/source.mp4")],
    ["a session's key under another app", (key) => notification(key.replace("uploads/shop/", "uploads/tv/"))],
    ["another bucket", (key) => notification(key, { bucket: "someone-elses-bucket" })],
    ["a key outside uploads/", () => notification("events/video/dt=2026-12-04/part-0.parquet")],
    ["a key deeper than uploads/<app>/<video>/", (key) => notification(`${key}/x`)],
    ["a body that is not JSON", () => message("{not json")],
    ["an event of another source", (key) => message(JSON.stringify({ ...objectCreated(key), source: "aws.ec2" }))],
    [
      "an event without a key",
      () => message(JSON.stringify({ ...objectCreated("x"), detail: { bucket: { name: BUCKET } } })),
    ],
  ];
  for (const [what, make] of dropped)
    it(`${what}: deleted, nothing published, S3 not asked`, async () => {
      const up = await start(w);
      w.h.now = new Date("2026-12-04T11:00:00.000Z");
      const before = w.h.bus.published.length;
      const s3Calls = w.h.s3.calls().length;
      const m = make(up.key);
      expect(await w.bridge.handle(m)).toBe("deleted");
      expect(w.deleted()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle }]);
      expect(w.h.bus.published).toHaveLength(before);
      expect(w.h.s3.calls()).toHaveLength(s3Calls);
      expect((await store.get("shop", up.id))?.state).toBe("created");
    });

  it("a bus outage: not deleted, back off by the receive count; next time the row says completed and the sweep publishes the one event", async () => {
    const up = await start(w);
    w.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1", ContentLength: FILE.byteLength });
    w.h.s3.on(GetObjectCommand).callsFake(async () => ({ Body: body(FILE) }));
    w.h.now = new Date("2026-12-04T10:20:00.000Z");
    const publish = w.h.bus.publish.bind(w.h.bus);
    w.h.bus.publish = async () => {
      throw new ReeltimeError("REELTIME_ERR_BUS_UNAVAILABLE", "bus down");
    };
    const m = notification(up.key, {}, 3);
    expect(await w.bridge.handle(m)).toBe("failed");
    expect(w.deleted()).toEqual([]);
    expect(w.visibility()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 120 }]);
    expect(finals(w.h)).toEqual([]);
    w.h.bus.publish = publish;
    // Received again: the row was completed, its event is the sweep's to publish (never twice).
    const again = notification(up.key, {}, 4);
    expect(await w.bridge.handle(again)).toBe("deleted");
    expect(finals(w.h)).toEqual([]);
    expect(await w.service.republishPending()).toBe(1);
    expect(finals(w.h).map((e) => e.event.event_id)).toEqual([uploadEventId(up.id, "upload.completed", STARTED)]);
  });

  it("a database outage: not deleted, the back-off doubles per receive up to 15 min", async () => {
    const up = await start(w);
    const getByVideo = store.getByVideo;
    store.getByVideo = async () => {
      throw new ReeltimeError("REELTIME_ERR_DATABASE_UNAVAILABLE", "database down");
    };
    try {
      for (const receives of [1, 2, 5, 6, 10])
        expect(await w.bridge.handle(notification(up.key, {}, receives))).toBe("failed");
    } finally {
      store.getByVideo = getByVideo;
    }
    expect(w.visibility().map((v) => v.VisibilityTimeout)).toEqual([30, 60, 480, 900, 900]);
    expect(w.deleted()).toEqual([]);
    expect([1, 2, 3, 4, 5, 6, 7].map(retryVisibilitySeconds)).toEqual([30, 60, 120, 240, 480, 900, 900]);
  });

  it("keeps the message invisible while the checksum read runs", async () => {
    const slow = await world(store, { heartbeatMs: 20 });
    try {
      const up = await start(slow);
      slow.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1", ContentLength: FILE.byteLength });
      slow.h.s3.on(GetObjectCommand).callsFake(async () => {
        await new Promise((r) => setTimeout(r, 150));
        return { Body: body(FILE) };
      });
      slow.h.now = new Date("2026-12-04T10:20:00.000Z");
      const m = notification(up.key);
      expect(await slow.bridge.handle(m)).toBe("deleted");
      const extended = slow.visibility();
      expect(extended.length).toBeGreaterThan(0);
      for (const v of extended)
        expect(v).toEqual({ QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 900 });
      expect(finals(slow.h)).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it("the loop: long polls of 10 messages, one at a time; stopping abandons the poll and finishes the message in hand", async () => {
    const up = await start(w);
    const second = await start(w);
    w.h.s3.on(HeadObjectCommand).resolves({ ETag: '"abc-3"', VersionId: "v-1", ContentLength: FILE.byteLength });
    let release = () => {};
    const reading = new Promise<void>((r) => {
      release = r;
    });
    let inHand = () => {};
    const started = new Promise<void>((r) => {
      inHand = r;
    });
    w.h.s3.on(GetObjectCommand).callsFake(async () => {
      inHand();
      await reading;
      return { Body: body(FILE) };
    });
    w.h.now = new Date("2026-12-04T10:20:00.000Z");
    const first = notification(up.key);
    const next = notification(second.key);
    w.queue
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [first, next] })
      .callsFake(() => new Promise(() => {}));
    w.bridge.start();
    await started;
    const stopping = w.bridge.stop();
    release();
    await stopping;
    expect(w.queue.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: QUEUE,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      },
    ]);
    // The message in hand was finished and deleted; the other is made visible again for another replica.
    expect(w.deleted()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: first.ReceiptHandle }]);
    expect(w.visibility()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: next.ReceiptHandle, VisibilityTimeout: 0 }]);
    expect(finals(w.h).map((e) => e.event.upload.id)).toEqual([up.id]);

    // A long poll in progress is abandoned at once.
    const idle = await world();
    try {
      idle.queue.on(ReceiveMessageCommand).callsFake(() => new Promise(() => {}));
      idle.bridge.start();
      await new Promise((r) => setTimeout(r, 20));
      await idle.bridge.stop();
      expect(idle.queue.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    } finally {
      await idle.close();
    }
  });
});

describe("parseObjectCreated", () => {
  it("reads bucket, key, version, size and time of S3's event; says what is missing otherwise", () => {
    expect(parseObjectCreated(JSON.stringify(objectCreated("uploads/a/b/source.mp4")))).toEqual({
      bucket: BUCKET,
      key: "uploads/a/b/source.mp4",
      versionId: "v-1",
      size: FILE.byteLength,
      time: new Date("2026-12-04T10:04:00Z"),
    });
    expect(parseObjectCreated("[]")).toBe("not a JSON object");
    expect(parseObjectCreated(JSON.stringify({ ...objectCreated("k"), "detail-type": "Object Deleted" }))).toBe(
      'detail-type is "Object Deleted", not "Object Created"',
    );
    expect(parseObjectCreated(JSON.stringify({ ...objectCreated("k"), detail: { object: { key: "k" } } }))).toBe(
      "no detail.bucket.name",
    );
  });
});
