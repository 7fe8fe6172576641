import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { s3ClientConfig } from "@reeltime/archive-s3";
import { type ConnectionEnv, ReeltimeError } from "@reeltime/runtime";

/** The S3 settings a log bucket is reached with (endpoint and region, as the archive's). */
export type LogS3Env = Pick<ConnectionEnv, "AWS_REGION" | "REELTIME_S3_ENDPOINT">;

/** One log file of a source: how it is named, its size, and what makes it this file (its identity). */
export interface LogFile {
  /** s3://bucket/key or an absolute path. */
  uri: string;
  size: number;
  /** The S3 ETag with the key, or the content's SHA-256: the ledger and the event ids are made from it. */
  identity: string;
}

/** Where log files are read from: a folder (or one file) on disk, or an S3 prefix. */
export interface LogSource {
  readonly describe: string;
  list(): Promise<LogFile[]>;
  read(file: LogFile): AsyncIterable<Uint8Array>;
  close(): void;
}

/** `s3://bucket/prefix` or a local path: the source it names. */
export function openLogSource(location: string, env: LogS3Env): LogSource {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (s3) return s3Source(s3[1]!, s3[2] ?? "", env);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location))
    throw new ReeltimeError("REELTIME_ERR_CDN_SOURCE", `"${location}" is neither s3://bucket/prefix nor a local path`);
  return fsSource(resolve(location));
}

function fsSource(root: string): LogSource {
  const hashOf = (path: string) =>
    new Promise<string>((ok, fail) => {
      const h = createHash("sha256");
      createReadStream(path)
        .on("data", (c) => h.update(c))
        .on("error", fail)
        .on("end", () => ok(h.digest("hex")));
    });
  async function walk(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...(await walk(p)));
      else if (e.isFile()) out.push(p);
    }
    return out;
  }
  return {
    describe: root,
    async list() {
      const st = await stat(root).catch(() => {
        throw new ReeltimeError("REELTIME_ERR_CDN_SOURCE", `${root}: no such file or folder`);
      });
      const paths = st.isDirectory() ? (await walk(root)).sort() : [root];
      const files: LogFile[] = [];
      for (const p of paths) files.push({ uri: p, size: (await stat(p)).size, identity: `sha256:${await hashOf(p)}` });
      return files;
    },
    read: (file) => createReadStream(file.uri),
    close() {},
  };
}

function s3Source(bucket: string, prefix: string, env: LogS3Env): LogSource {
  const client = new S3Client(s3ClientConfig({ ...env, REELTIME_S3_BUCKET: bucket }));
  const where = `s3://${bucket}/${prefix}`;
  const failed = (what: string) => (e: unknown) => {
    throw new ReeltimeError("REELTIME_ERR_CDN_SOURCE", `${what} ${where}: ${(e as Error).message}`, { cause: e });
  };
  return {
    describe: where,
    async list() {
      const files: LogFile[] = [];
      let token: string | undefined;
      do {
        const res = await client
          .send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          )
          .catch(failed("cannot list"));
        for (const o of res.Contents ?? []) {
          if (!o.Key || o.Key.endsWith("/")) continue;
          const uri = `s3://${bucket}/${o.Key}`;
          files.push({
            uri,
            size: o.Size ?? 0,
            identity: `${uri}#${(o.ETag ?? "").replaceAll('"', "")}#${o.Size ?? 0}`,
          });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return files.sort((a, b) => (a.uri < b.uri ? -1 : 1));
    },
    async *read(file) {
      const key = file.uri.slice(`s3://${bucket}/`.length);
      const res = await client
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch(failed(`cannot read ${key} of`));
      yield* res.Body as Readable;
    },
    close: () => client.destroy(),
  };
}
