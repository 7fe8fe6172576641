import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";

// The local S3 server (SeaweedFS) of `reeltime infra up`; REELTIME_S3_ENDPOINT points the test at
// another one started by hand (same credentials and buckets).
const endpoint = process.env.REELTIME_S3_ENDPOINT ?? LOCAL_ENDPOINTS.s3.endpoint;
const client = (secretAccessKey: string = LOCAL_ENDPOINTS.s3.secretAccessKey) =>
  new S3Client({
    endpoint,
    region: LOCAL_ENDPOINTS.region,
    forcePathStyle: true,
    credentials: { accessKeyId: LOCAL_ENDPOINTS.s3.accessKeyId, secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
const s3 = client();
const Bucket = LOCAL_ENDPOINTS.s3.buckets.uploads;
const prefix = `infra-smoke/${randomUUID()}/`;

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  // Multipart uploads a test left open are aborted by that test; objects are deleted here.
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
  s3.destroy();
});

describe("the local S3 server, SeaweedFS (AWS SDK v3 S3)", () => {
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

  // What the S3 adapter and the upload API rely on beyond plain reads and writes, as AWS S3
  // answers it (the archive conformance suite and uploads.int.test.ts cover the rest).
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => "succeeded",
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${e.name} ${e.$metadata?.httpStatusCode}`,
    );

  it("refuses what S3 refuses: a create-only PUT of an existing key (412), a wrong secret, a missing bucket", async () => {
    const Key = `${prefix}once.txt`;
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key, Body: "1", IfNoneMatch: "*" })))).toBe(
      "succeeded",
    );
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key, Body: "2", IfNoneMatch: "*" })))).toBe(
      "PreconditionFailed 412",
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body!.transformToString()).toBe("1");
    const wrong = client("not-the-secret");
    expect(await failure(wrong.send(new ListBucketsCommand({})))).toBe("SignatureDoesNotMatch 403");
    wrong.destroy();
    // No bucket is made by a PUT into it (AWS S3 answers NoSuchBucket).
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: `missing-${randomUUID()}`, Key: "a", Body: "x" }))),
    ).toBe("NoSuchBucket 404");
  });

  it("pages ListObjectsV2 under a prefix with continuation tokens", async () => {
    for (let i = 0; i < 5; i++)
      await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}pages/${i}`, Body: String(i) }));
    await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}pages-not`, Body: "x" }));
    const keys: string[] = [];
    let pages = 0;
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: `${prefix}pages/`, MaxKeys: 2, ContinuationToken }),
      );
      pages++;
      keys.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    expect(pages).toBe(3);
    expect(keys).toEqual(["pages/0", "pages/1", "pages/2", "pages/3", "pages/4"]);
  });

  it("refuses a multipart completion S3 refuses: a part under 5 MiB before the last, an unknown ETag, an unknown upload", async () => {
    const Key = `${prefix}parts.bin`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    try {
      const part = async (PartNumber: number) =>
        (await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: new Uint8Array(1000) }))).ETag;
      const parts = [
        { PartNumber: 1, ETag: await part(1) },
        { PartNumber: 2, ETag: await part(2) },
      ];
      const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
      expect((listed.Parts ?? []).map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
        parts.map((p) => [p.PartNumber, 1000, p.ETag]),
      );
      const complete = (Parts: { PartNumber: number; ETag: string | undefined }[]) =>
        failure(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })));
      expect(await complete(parts)).toBe("EntityTooSmall 400");
      expect(await complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])).toBe("InvalidPart 400");
    } finally {
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    }
    expect(await failure(s3.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toBe("NoSuchUpload 404");
  });

  it("answers a browser's CORS preflight for a PUT and exposes ETag (the upload page reads it)", async () => {
    const res = await fetch(`${endpoint}/${Bucket}/${prefix}browser.bin`, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "PUT" },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("etag");
  });
});
