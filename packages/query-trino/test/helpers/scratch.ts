import { randomUUID } from "node:crypto";
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createS3Archive, s3ClientConfig } from "@reeltime/archive-s3";
import { trinoStatements } from "@reeltime/events";
import type { Archive, QueryEngine } from "@reeltime/ports";
import { createTrinoEngine, type TrinoEnv } from "../../src/index.ts";

/**
 * `@reeltime/query-trino/testing`, for the tests of this package, query-athena and analytics.
 * A bucket of its own on the local S3 server and a Trino schema over it, with every contract
 * table made from the generated Trino DDL: what `reeltime analytics ddl --engine trino --apply`
 * does, against the Trino `reeltime infra up` starts (REELTIME_TRINO_URL, REELTIME_S3_ENDPOINT
 * point elsewhere). `drop()` removes the tables, the schema, the objects and the bucket.
 */
export async function trinoScratch(dtRange: readonly [string, string]): Promise<{
  env: TrinoEnv;
  archive: Archive;
  bucket: string;
  admin: QueryEngine;
  drop(): Promise<void>;
}> {
  const id = randomUUID().replaceAll("-", "").slice(0, 10);
  const bucket = `reeltime-trino-${id}`;
  const schema = `scratch_${id}`;
  const s3env = {
    AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    REELTIME_S3_BUCKET: bucket,
    REELTIME_S3_ENDPOINT: process.env.REELTIME_S3_ENDPOINT ?? "http://127.0.0.1:9000",
  };
  const s3 = new S3Client(s3ClientConfig(s3env));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const archive = createS3Archive(s3env);
  const env: TrinoEnv = {
    REELTIME_TRINO_URL: process.env.REELTIME_TRINO_URL ?? "http://127.0.0.1:8090",
    REELTIME_TRINO_CATALOG: "hive",
    REELTIME_TRINO_SCHEMA: schema,
    REELTIME_TRINO_USER: "reeltime",
  };
  const admin = createTrinoEngine(env);
  for (const sql of trinoStatements({ schema, bucket, dtRange })) await admin.run(sql);
  return {
    env,
    archive,
    bucket,
    admin,
    async drop() {
      const tables = [...(await admin.run(`SHOW TABLES FROM "${schema}"`)).rows.map((r) => String(r.Table))];
      for (const t of tables) await admin.run(`DROP TABLE IF EXISTS "${schema}"."${t}"`);
      await admin.run(`DROP SCHEMA IF EXISTS "${schema}"`);
      const keys = (await archive.list("")).map((o) => o.key);
      if (keys.length > 0) await archive.delete(keys);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      await archive.shutdown();
      s3.destroy();
    },
  };
}
