import { randomUUID } from "node:crypto";
import { HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { archiveConformance, payload } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";
import { createS3Archive, type S3Env, s3ClientConfig } from "../src/s3-archive.ts";

// The real S3 server (SeaweedFS) that `reeltime infra up` starts (docs/local-services.md), or
// the one REELTIME_S3_ENDPOINT names. Its credentials reach the SDK through its standard chain (env: the integration tier sets them in vitest.config.ts),
// as they would in production. A library's tests name the local defaults themselves, like the
// Kafka and Elasticsearch suites, rather than depend on the infra app.
const env: S3Env = {
  AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  REELTIME_S3_BUCKET: process.env.REELTIME_S3_BUCKET ?? "reeltime-archive",
  REELTIME_S3_ENDPOINT: process.env.REELTIME_S3_ENDPOINT ?? "http://127.0.0.1:9000",
};
const prefix = `test-runs/${randomUUID()}/`;

/** A client whose middleware sees every command, and can fail one part of a multipart upload. */
function instrumented(failPart?: number) {
  const client = new S3Client(s3ClientConfig(env));
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? "?");
      const part = (args.input as { PartNumber?: number }).PartNumber;
      if (context.commandName === "UploadPartCommand" && part === failPart)
        throw Object.assign(new Error(`injected: connection reset while sending part ${part}`), { name: "Injected" });
      return next(args);
    },
    { step: "initialize", name: "reeltimeTestProbe" },
  );
  return { client, commands };
}

archiveConformance({
  adapter: "s3",
  prefix,
  open: async () => createS3Archive(env),
  interruptedPut: async (key, body) => {
    const { client } = instrumented(2);
    await expect(createS3Archive(env, { client }).put(key, body)).rejects.toBeDefined();
    client.destroy();
  },
  unreachable: async () => createS3Archive({ ...env, REELTIME_S3_ENDPOINT: "http://127.0.0.1:9" }),
});

describe("s3 archive on a real S3 server (SeaweedFS locally)", () => {
  it("uploads 12 MB in parts (CreateMultipartUpload, 2 x UploadPart, Complete), small objects in one PutObject", async () => {
    const { client, commands } = instrumented();
    const archive = createS3Archive(env, { client });
    const t0 = performance.now();
    await archive.put(`${prefix}mp/12mb.bin`, payload(12 * 1024 * 1024, 5));
    const ms = performance.now() - t0;
    expect(commands.filter((c) => c !== "HeadObjectCommand")).toEqual([
      "CreateMultipartUploadCommand",
      "UploadPartCommand",
      "UploadPartCommand",
      "CompleteMultipartUploadCommand",
    ]);
    commands.length = 0;
    await archive.put(`${prefix}mp/small.bin`, payload(1000));
    expect(commands).toEqual(["PutObjectCommand"]);
    console.log(`s3 multipart put of 12 MiB: ${ms.toFixed(0)} ms (${((12 / ms) * 1000).toFixed(0)} MiB/s)`);
    await archive.delete([`${prefix}mp/12mb.bin`, `${prefix}mp/small.bin`]);
    client.destroy();
  });

  it("a failed multipart upload is aborted: no parts linger in the bucket", async () => {
    const key = `${prefix}mp/failed.bin`;
    const { client } = instrumented(2);
    await expect(createS3Archive(env, { client }).put(key, payload(12 * 1024 * 1024))).rejects.toMatchObject({
      message: expect.stringContaining("injected"),
    });
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: env.REELTIME_S3_BUCKET, Prefix: key }));
    expect(uploads.Uploads ?? []).toEqual([]);
    client.destroy();
  });

  it("keeps a put's Cache-Control with the object, in one PutObject and in a multipart upload", async () => {
    const archive = createS3Archive(env, { multipartBytes: 6 * 1024 * 1024 });
    const client = new S3Client(s3ClientConfig(env));
    const small = `${prefix}cache/index.m3u8`;
    const large = `${prefix}cache/large.bin`;
    await archive.put(small, payload(100), {
      contentType: "application/vnd.apple.mpegurl",
      cacheControl: "public, max-age=1",
    });
    await archive.put(large, payload(7 * 1024 * 1024), { cacheControl: "public, max-age=86400, immutable" });
    const head = (Key: string) => client.send(new HeadObjectCommand({ Bucket: env.REELTIME_S3_BUCKET, Key }));
    expect(await head(small)).toMatchObject({
      ContentType: "application/vnd.apple.mpegurl",
      CacheControl: "public, max-age=1",
    });
    expect((await head(large)).CacheControl).toBe("public, max-age=86400, immutable");
    // Without the option, none is set.
    await archive.put(small, payload(100));
    expect((await head(small)).CacheControl).toBeUndefined();
    await archive.delete([small, large]);
    client.destroy();
  });

  it("a missing bucket says which variable to change", async () => {
    const archive = createS3Archive({ ...env, REELTIME_S3_BUCKET: `missing-${Date.now()}` });
    await expect(archive.start()).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
      message: expect.stringContaining("REELTIME_S3_BUCKET"),
    });
    expect((await archive.health()).ok).toBe(false);
    await archive.shutdown();
  });
});
