import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { httpOk } from "../health.ts";
import { goInstall } from "../install/go.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const API_PORT = 9000;
const CONSOLE_PORT = 9001;
const MODULE = "github.com/minio/minio";

/** The buckets reeltime uses: Parquet archive, transcoded media, raw uploads. */
export const BUCKETS = Object.values(LOCAL_ENDPOINTS.s3.buckets);

function binaryPath(ctx: ServiceContext): Promise<{ binary: string; built: boolean }> {
  return goInstall(ctx, "minio", MODULE, VERSIONS.minio);
}

/** Creates an S3 client for the local MinIO with the settings any non-AWS S3 needs. */
export async function localS3Client() {
  const { S3Client } = await import("@aws-sdk/client-s3");
  return new S3Client({
    endpoint: LOCAL_ENDPOINTS.s3.endpoint,
    region: LOCAL_ENDPOINTS.region,
    forcePathStyle: true,
    credentials: { accessKeyId: LOCAL_ENDPOINTS.s3.accessKeyId, secretAccessKey: LOCAL_ENDPOINTS.s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** MinIO, built from source with `go install` at a pinned version and cached as a binary. */
export const minio: LocalService = {
  name: "minio",
  ports: [API_PORT, CONSOLE_PORT],
  url: LOCAL_ENDPOINTS.s3.endpoint,
  startTimeoutMs: 60_000,

  async install(ctx) {
    return (await binaryPath(ctx)).built;
  },

  async prepare(ctx) {
    const { binary } = await binaryPath(ctx);
    const data = join(ctx.dir, "data");
    mkdirSync(data, { recursive: true });
    return {
      command: binary,
      args: ["server", data, "--address", `127.0.0.1:${API_PORT}`, "--console-address", `127.0.0.1:${CONSOLE_PORT}`],
      cwd: ctx.dir,
      env: {
        ...process.env,
        HOME: ctx.dir,
        MINIO_ROOT_USER: LOCAL_ENDPOINTS.s3.accessKeyId,
        MINIO_ROOT_PASSWORD: LOCAL_ENDPOINTS.s3.secretAccessKey,
        MINIO_UPDATE: "off",
        MINIO_BROWSER: "on",
      },
    };
  },

  async probe() {
    const healthy = await httpOk(`${LOCAL_ENDPOINTS.s3.endpoint}/minio/health/ready`);
    return { healthy, version: VERSIONS.minio };
  },

  async provision() {
    const { CreateBucketCommand, HeadBucketCommand } = await import("@aws-sdk/client-s3");
    const s3 = await localS3Client();
    try {
      let created = 0;
      for (const Bucket of BUCKETS) {
        try {
          await s3.send(new HeadBucketCommand({ Bucket }));
        } catch {
          await s3.send(new CreateBucketCommand({ Bucket }));
          created++;
        }
      }
      return `buckets ${BUCKETS.join(", ")}${created ? ` (created ${created})` : ""}`;
    } finally {
      s3.destroy();
    }
  },
};
