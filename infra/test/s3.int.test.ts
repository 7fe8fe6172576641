import { randomUUID } from "node:crypto";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";

const s3 = new S3Client({
  endpoint: LOCAL_ENDPOINTS.s3.endpoint,
  region: LOCAL_ENDPOINTS.region,
  forcePathStyle: true,
  credentials: { accessKeyId: LOCAL_ENDPOINTS.s3.accessKeyId, secretAccessKey: LOCAL_ENDPOINTS.s3.secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
});
const Bucket = LOCAL_ENDPOINTS.s3.buckets.uploads;
const prefix = `infra-smoke/${randomUUID()}/`;

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
  s3.destroy();
});

describe("local MinIO (AWS SDK v3 S3)", () => {
  it("has reeltime's buckets", async () => {
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    const names = (Buckets ?? []).map((b) => b.Name);
    for (const b of Object.values(LOCAL_ENDPOINTS.s3.buckets)) expect(names).toContain(b);
  });

  it("puts, gets and lists objects", async () => {
    const body = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}a.bin`, Body: body }));
    await s3.send(
      new PutObjectCommand({ Bucket, Key: `${prefix}b.json`, Body: '{"ok":true}', ContentType: "application/json" }),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket, Key: `${prefix}a.bin` }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`${prefix}a.bin`, `${prefix}b.json`]);
  });
});
