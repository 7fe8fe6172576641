import { randomUUID } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Archive, Health, ObjectInfo, PutOptions } from "@reeltime/ports";
import { type ConnectionEnv, ReeltimeError, unavailable } from "@reeltime/runtime";
import { checkKey, checkPrefix, notFound } from "../keys.ts";

export interface FsArchiveOptions {
  /** Bytes per write call; a crash between two of them leaves only a temp file behind. */
  chunkBytes?: number;
  /** Temp files older than this are removed on start (left by writers that died). */
  staleTempMs?: number;
}

// Temp files live in a hidden folder of the same filesystem, so the final rename is atomic;
// keys can never start with "." (keys.ts), so this folder is never listed or overwritten.
const TEMP_DIR = ".tmp";
const TRANSIENT = new Set(["ENOSPC", "EDQUOT", "EIO", "EROFS", "EMFILE", "ENFILE", "EAGAIN", "EBUSY", "ETIMEDOUT"]);

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function fsFailure(op: string, key: string, err: unknown): ReeltimeError {
  if (err instanceof ReeltimeError) return err;
  const code = codeOf(err) ?? "unknown";
  if (TRANSIENT.has(code)) return unavailable("archive", `${op} "${key}" failed on the filesystem (${code})`, err);
  if (code === "ENOTDIR" || code === "EEXIST" || code === "EISDIR")
    return new ReeltimeError(
      "REELTIME_ERR_ARCHIVE_KEY",
      `${op} "${key}" failed: on the filesystem archive a key cannot also be a folder of other keys (${code}); choose keys that are never prefixes of each other plus "/"`,
      { cause: err },
    );
  return new ReeltimeError("REELTIME_ERR_ARCHIVE", `${op} "${key}" failed on the filesystem: ${String(err)}`, {
    cause: err,
  });
}

/**
 * The archive as files under `${REELTIME_DATA_DIR}/archive`, one file per key. A put writes a
 * temp file, fsyncs it, renames it over the key and fsyncs the folder: readers see the old
 * object or the new one, never a part, and a crash mid-write leaves nothing at the key.
 */
export function createFsArchive(
  env: Pick<ConnectionEnv, "REELTIME_DATA_DIR">,
  options: FsArchiveOptions = {},
): Archive & { readonly root: string } {
  const root = resolve(env.REELTIME_DATA_DIR, "archive");
  const tempDir = join(root, TEMP_DIR);
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  const staleTempMs = options.staleTempMs ?? 10 * 60_000;
  let started: Promise<void> | undefined;

  const pathOf = (key: string) => join(root, ...checkKey(key).split("/"));

  async function removeStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(tempDir)) {
      const file = join(tempDir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > staleTempMs) await rm(file, { force: true });
    }
  }

  async function start(): Promise<void> {
    started ??= (async () => {
      await mkdir(tempDir, { recursive: true });
      await removeStaleTemps();
    })().catch((err) => {
      started = undefined;
      throw fsFailure("open", root, err);
    });
    return started;
  }

  async function syncDir(dir: string): Promise<void> {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async function put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<boolean> {
    const target = pathOf(key);
    await start();
    const temp = join(tempDir, `${randomUUID()}.part`);
    try {
      const handle = await open(temp, "wx", 0o644);
      try {
        let at = 0;
        while (at < body.byteLength) {
          const length = Math.min(chunkBytes, body.byteLength - at);
          at += (await handle.write(body, at, length, at)).bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(dirname(target), { recursive: true });
      if (opts.ifAbsent) {
        // link() fails with EEXIST when the key exists: create-only, and still whole or nothing.
        const created = await link(temp, target).then(
          () => true,
          (err) => {
            if (codeOf(err) === "EEXIST") return false;
            throw err;
          },
        );
        await unlink(temp);
        if (created) await syncDir(dirname(target));
        return created;
      }
      await rename(temp, target);
      await syncDir(dirname(target));
      return true;
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw fsFailure("put", key, err);
    }
  }

  async function get(key: string): Promise<Uint8Array> {
    const file = pathOf(key);
    await start();
    try {
      return new Uint8Array(await readFile(file));
    } catch (err) {
      const code = codeOf(err);
      if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") throw notFound(key);
      throw fsFailure("get", key, err);
    }
  }

  async function exists(key: string): Promise<boolean> {
    const file = pathOf(key);
    await start();
    const info = await stat(file).catch((err) => {
      const code = codeOf(err);
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw fsFailure("exists", key, err);
    });
    return info?.isFile() ?? false;
  }

  async function list(prefix: string): Promise<ObjectInfo[]> {
    checkPrefix(prefix);
    await start();
    const cut = prefix.lastIndexOf("/");
    const dir = cut < 0 ? root : join(root, ...prefix.slice(0, cut).split("/"));
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err) => {
      if (codeOf(err) === "ENOENT" || codeOf(err) === "ENOTDIR") return [];
      throw fsFailure("list", prefix, err);
    });
    const out: ObjectInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const key = relative(root, join(entry.parentPath, entry.name)).split(sep).join("/");
      if (!key.startsWith(prefix) || key.split("/").some((s) => s.startsWith("."))) continue;
      const info = await stat(join(root, key)).catch(() => undefined);
      if (info) out.push({ key, size: info.size, lastModified: info.mtime });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function remove(keys: string[]): Promise<void> {
    const files = keys.map((k) => [k, pathOf(k)] as const);
    await start();
    for (const [key, file] of files)
      await unlink(file).catch((err) => {
        if (codeOf(err) !== "ENOENT") throw fsFailure("delete", key, err);
      });
  }

  async function health(): Promise<Health> {
    try {
      await start();
      await stat(tempDir);
      return { ok: true, driver: "fs", detail: root };
    } catch (err) {
      return { ok: false, driver: "fs", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    driver: "fs",
    root,
    start,
    health,
    shutdown: async () => undefined,
    put,
    get,
    exists,
    list,
    delete: remove,
  };
}
