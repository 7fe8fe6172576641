import { type FileHandle, mkdir, open, readFile, rename, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { unavailable } from "@reeltime/runtime";

/** A file-system failure, as the retryable error every SearchStore throws when its backing store is down. */
export function storageError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code ?? String(err);
  return unavailable(
    "search",
    `cannot use ${path} (${code}): check that REELTIME_DATA_DIR is a writable directory`,
    err,
  );
}

/**
 * An append-only file of JSON lines. Each append is one write followed by fdatasync, so a
 * batch that was acknowledged survives a crash; a torn last line (crash mid-write) is cut off
 * when the file is opened again.
 */
export class NdjsonLog<T> {
  readonly path: string;
  #fh: FileHandle | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Opens the file (creating it) and returns every complete record in it, oldest first. */
  async open(): Promise<T[]> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const text = await readFile(this.path, "utf8").catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return "";
        throw err;
      });
      const end = text.lastIndexOf("\n") + 1;
      if (end < text.length) await truncate(this.path, Buffer.byteLength(text.slice(0, end)));
      this.#fh = await open(this.path, "a");
      const out: T[] = [];
      for (const line of text.slice(0, end).split("\n")) if (line !== "") out.push(JSON.parse(line) as T);
      return out;
    } catch (err) {
      throw storageError(this.path, err);
    }
  }

  async append(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.#fh) throw storageError(this.path, new Error("log is not open"));
    let text = "";
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    try {
      await this.#fh.write(text);
      await this.#fh.datasync();
    } catch (err) {
      throw storageError(this.path, err);
    }
  }

  /** Replaces the whole file with `records` atomically (write a sibling, fsync, rename). */
  async rewrite(records: readonly T[]): Promise<void> {
    const tmp = `${this.path}.compact`;
    try {
      const fh = await open(tmp, "w");
      try {
        await fh.write(records.map((r) => `${JSON.stringify(r)}\n`).join(""));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await this.#fh?.close();
      await rename(tmp, this.path);
      this.#fh = await open(this.path, "a");
    } catch (err) {
      throw storageError(this.path, err);
    }
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}
