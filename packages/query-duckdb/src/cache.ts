import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Archive, ObjectInfo } from "@reeltime/ports";
import { inLayout, type Table } from "./tables.ts";

/**
 * A local mirror of the archive's Parquet files, one folder per table, so DuckDB reads them
 * without httpfs and sees only the table's own partitions (`dt=`, `hour=`) in their paths.
 * A cached file is reused while its size and modification time match the archived object.
 */
export class ParquetCache {
  readonly dir: string;
  readonly #archive: Archive;

  constructor(dir: string, archive: Archive) {
    this.dir = dir;
    this.#archive = archive;
  }

  /** Brings the table's folder in line with the archive; returns the local files, sorted. */
  async sync(table: Table): Promise<{ files: string[]; fetched: number; ignored: number }> {
    const objects = (await this.#archive.list(table.prefix)).filter((o) => o.key.endsWith(".parquet"));
    const tableDir = join(this.dir, table.name);
    const wanted = new Map<string, ObjectInfo>();
    let ignored = 0;
    for (const o of objects) {
      const rel = o.key.slice(table.prefix.length);
      if (inLayout(table, rel)) wanted.set(join(tableDir, ...rel.split("/")), o);
      else ignored++;
    }
    let fetched = 0;
    for (const [file, o] of wanted) if (await this.#fetch(file, o)) fetched++;
    await this.#prune(tableDir, wanted);
    return { files: [...wanted.keys()].sort(), fetched, ignored };
  }

  async #fetch(file: string, o: ObjectInfo): Promise<boolean> {
    const have = await stat(file).catch(() => undefined);
    if (have && have.size === o.size && Math.round(have.mtimeMs) === o.lastModified.getTime()) return false;
    const body = await this.#archive.get(o.key);
    const temp = join(this.dir, ".tmp", `${randomUUID()}.parquet`);
    await mkdir(dirname(temp), { recursive: true });
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(temp, body);
      await utimes(temp, o.lastModified, o.lastModified);
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
    return true;
  }

  /** Removes cached files whose object is gone (deleted or compacted away). */
  async #prune(tableDir: string, wanted: Map<string, ObjectInfo>): Promise<void> {
    const entries = await readdir(tableDir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const file = join(e.parentPath, e.name);
      if (e.isFile() && !wanted.has(file) && !relative(tableDir, file).split(sep).includes(".tmp"))
        await rm(file, { force: true });
    }
  }
}
