import { mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { sleep, writeFileAtomic } from "@reeltime/connectors/adapter";
import type { CheckpointStore, Lease } from "@reeltime/ports";

const STALE_LOCK_MS = 5000;

/**
 * Leases and checkpoints as one JSON file per (group, stream, shard) under
 * REELTIME_DATA_DIR/kinesis/leases. A conditional write takes a lock file (O_EXCL), compares
 * the version, replaces the file atomically and drops the lock, so consumers in several
 * processes of one machine that share REELTIME_DATA_DIR split a stream safely. Nothing else
 * sees these files: across data directories or hosts use DynamoDbCheckpointStore
 * (REELTIME_KINESIS_LEASES=dynamodb); production refuses this store.
 */
export class FsCheckpointStore implements CheckpointStore {
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = join(dataDir, "kinesis", "leases");
  }

  #dir(group: string, stream: string): string {
    return join(this.#root, encodeURIComponent(group), encodeURIComponent(stream));
  }

  async list(group: string, stream: string): Promise<Lease[]> {
    const dir = this.#dir(group, stream);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const leases = await Promise.all(names.filter((n) => n.endsWith(".json")).map((n) => this.#read(join(dir, n))));
    return leases.filter((l): l is Lease => l !== null);
  }

  async put(next: Omit<Lease, "version">, expectedVersion: number): Promise<Lease | null> {
    const dir = this.#dir(next.group, next.stream);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${encodeURIComponent(next.shard)}.json`);
    const release = await this.#lock(`${path}.lock`);
    try {
      const current = await this.#read(path);
      if ((current?.version ?? 0) !== expectedVersion) return null;
      const stored: Lease = { ...next, version: expectedVersion + 1 };
      await writeFileAtomic(path, JSON.stringify(stored));
      return stored;
    } finally {
      await release();
    }
  }

  async #read(path: string): Promise<Lease | null> {
    try {
      return JSON.parse(await readFile(path, "utf8")) as Lease;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }

  async #lock(path: string): Promise<() => Promise<void>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(path, "wx");
        await fh.close();
        return () => unlink(path).catch(() => {});
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const age = await stat(path).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await unlink(path).catch(() => {});
        else await sleep(Math.min(50, 2 + attempt * 2));
      }
    }
  }
}
