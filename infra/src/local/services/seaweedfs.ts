import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { httpOk } from "../health.ts";
import { goBuildModule } from "../install/go.ts";
import { readPidFile } from "../pid-files.ts";
import { isRecordAlive } from "../process.ts";
import {
  renderMasterToml,
  renderS3Identities,
  renderWeedArgs,
  type SeaweedPorts,
  seaweedPortList,
} from "../render/seaweedfs-config.ts";
import { VERSIONS } from "../versions.ts";
import type { LocalService, ServiceContext } from "./types.ts";

const MODULE = "github.com/seaweedfs/seaweedfs";

/**
 * S3 on the endpoint every client already uses (9000); the master, volume server and filer on
 * SeaweedFS's usual ports, except the volume server's (8080 is the ingest API's). gRPC: + 10000.
 */
export const SEAWEEDFS_PORTS: SeaweedPorts = {
  s3: Number(new URL(LOCAL_ENDPOINTS.s3.endpoint).port),
  master: 9333,
  volume: 9340,
  filer: 8888,
};

/** The buckets reeltime uses: Parquet archive, transcoded media, raw uploads. */
export const BUCKETS = Object.values(LOCAL_ENDPOINTS.s3.buckets);

function binaryPath(ctx: ServiceContext): Promise<{ binary: string; built: boolean }> {
  return goBuildModule(ctx, "seaweedfs", MODULE, VERSIONS.seaweedfs, "weed", "weed");
}

/** Creates an S3 client for the local S3 server with the settings any non-AWS S3 needs. */
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

/** The environment of `weed`: no AWS_* of the caller's shell (real credentials stay out of it). */
export function weedEnv(env: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith("AWS_") && !k.startsWith("S3_")) out[k] = v;
  return { ...out, HOME: home };
}

/**
 * Waits until the server takes a write: a PutObject and DeleteObject of a marker key in `Bucket`,
 * tried until one works. A (re)started SeaweedFS answers reads (ListBuckets, GetObject) about
 * 10 s before writes: its filer waits that long for peer filers before it joins the lock ring
 * that serializes object writes, and every PutObject hangs until then. Resolves the wait in ms.
 */
export async function waitForWrites(
  s3: import("@aws-sdk/client-s3").S3Client,
  Bucket: string,
  timeoutMs = 60_000,
): Promise<number> {
  const { DeleteObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
  const Key = `reeltime-infra-ready/${process.pid}-${Date.now()}`;
  const t0 = Date.now();
  let last = "no answer";
  for (;;) {
    try {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: "ok" }), { abortSignal: AbortSignal.timeout(5000) });
      await s3.send(new DeleteObjectCommand({ Bucket, Key }), { abortSignal: AbortSignal.timeout(5000) });
      return Date.now() - t0;
    } catch (err) {
      last = `${(err as Error).name}: ${(err as Error).message}`;
    }
    if (Date.now() - t0 >= timeoutMs)
      throw new Error(`SeaweedFS took no write into "${Bucket}" within ${timeoutMs / 1000} s (last: ${last})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The identities: reeltime's key for everything, and anonymous reads of the media bucket (the local edge's origin). */
function identitiesFile(): string {
  return renderS3Identities(
    { accessKeyId: LOCAL_ENDPOINTS.s3.accessKeyId, secretAccessKey: LOCAL_ENDPOINTS.s3.secretAccessKey },
    { anonymousRead: [LOCAL_ENDPOINTS.s3.buckets.media] },
  );
}

/**
 * Brings a running server's identities up to date: when its s3.json differs from what reeltime
 * renders now (an older `up` wrote it), the file is rewritten and the server sent SIGHUP, on which
 * SeaweedFS reads `-s3.config` again, without a restart. Resolves true when it reloaded.
 */
export function syncIdentities(ctx: ServiceContext): boolean {
  const file = join(ctx.dir, "s3.json");
  const want = identitiesFile();
  let have: string | undefined;
  try {
    have = readFileSync(file, "utf8");
  } catch {
    // not written yet
  }
  if (have === want) return false;
  writeFileSync(file, want);
  const record = readPidFile(ctx.settings.stateDir, "seaweedfs");
  if (!record || !isRecordAlive(record)) return false;
  process.kill(record.pid, "SIGHUP");
  return true;
}

/**
 * The local S3 server: SeaweedFS (Apache-2.0) as one `weed server -s3` process (master, volume
 * server, filer, S3 gateway), built from its module at a pinned version and cached as a binary.
 * Replaces MinIO (AGPL-3.0); same endpoint, credentials and buckets.
 */
export const seaweedfs: LocalService = {
  name: "seaweedfs",
  ports: seaweedPortList(SEAWEEDFS_PORTS),
  url: LOCAL_ENDPOINTS.s3.endpoint,
  startTimeoutMs: 60_000,

  async install(ctx) {
    return (await binaryPath(ctx)).built;
  },

  async prepare(ctx) {
    const { binary } = await binaryPath(ctx);
    for (const d of ["data", "meta"]) mkdirSync(join(ctx.dir, d), { recursive: true });
    const s3Config = join(ctx.dir, "s3.json");
    writeFileSync(s3Config, identitiesFile());
    writeFileSync(join(ctx.dir, "master.toml"), renderMasterToml());
    return {
      command: binary,
      args: renderWeedArgs({ dir: ctx.dir, ports: SEAWEEDFS_PORTS, s3Config }),
      // master.toml is read from the working directory; HOME there too, so no ~/.seaweedfs applies.
      cwd: ctx.dir,
      env: weedEnv(process.env, ctx.dir),
    };
  },

  async probe() {
    // The gateway answers /healthz before its filer is reachable: a signed ListBuckets, which
    // reads the filer, is the readiness check.
    if (!(await httpOk(`${LOCAL_ENDPOINTS.s3.endpoint}/healthz`)))
      return { healthy: false, detail: "the S3 gateway does not answer /healthz" };
    const { ListBucketsCommand } = await import("@aws-sdk/client-s3");
    const s3 = await localS3Client();
    try {
      await s3.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
      return { healthy: true, version: VERSIONS.seaweedfs };
    } catch (err) {
      return { healthy: false, detail: `ListBuckets failed: ${(err as Error).name}: ${(err as Error).message}` };
    } finally {
      s3.destroy();
    }
  },

  async provision(ctx) {
    const reloaded = syncIdentities(ctx);
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
      const waited = await waitForWrites(s3, LOCAL_ENDPOINTS.s3.buckets.archive);
      return `buckets ${BUCKETS.join(", ")}${created ? ` (created ${created})` : ""}; writes taken after ${waited} ms${reloaded ? "; identities reloaded (anonymous read of the media bucket)" : ""}`;
    } finally {
      s3.destroy();
    }
  },
};
