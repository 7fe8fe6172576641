import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { BusMessage } from "@reeltime/ports";
import { ReeltimeError, unavailable } from "@reeltime/runtime";
import { writeFileAtomic } from "./files.ts";
import { GroupCoordinator } from "./group.ts";
import { PartitionLog } from "./partition-log.ts";
import { encodeRecord } from "./record.ts";

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

interface PendingPublish {
  topic: string;
  messages: BusMessage[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** FNV-1a over the key's UTF-8 bytes: the same key always lands in the same partition. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key, "utf8")) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % partitions;
}

export function fsUnavailable(dir: string, e: unknown): Error {
  if (e instanceof ReeltimeError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return unavailable(
    "bus",
    `cannot write the embedded log under ${dir} (${code}): make REELTIME_DATA_DIR a writable directory with free space`,
    e,
  );
}

/**
 * The embedded log of one data directory, shared by every Bus instance of the process that
 * points there (so consumers of one group in one process split partitions). A LOCK file
 * keeps a second process away: the embedded bus is for one process on one machine.
 */
export class LogStore {
  readonly dir: string;
  readonly #segmentBytes: number;
  readonly #topics = new Map<string, PartitionLog[]>();
  readonly #groups = new Map<string, GroupCoordinator>();
  readonly #opening = new Map<string, Promise<PartitionLog[]>>();
  #pending: PendingPublish[] = [];
  #flushing: Promise<void> | null = null;
  #waiters = new Set<() => void>();
  /** Bumped on every append, so a consumer can tell whether it missed one. */
  version = 0;

  /** Only sets the fields: make one with `LogStore.open`, which also makes the folders and takes the LOCK file. */
  constructor(dir: string, segmentBytes: number) {
    this.dir = dir;
    this.#segmentBytes = segmentBytes;
  }

  static async open(dir: string, segmentBytes: number): Promise<LogStore> {
    const store = new LogStore(dir, segmentBytes);
    await mkdir(join(dir, "topics"), { recursive: true });
    await mkdir(join(dir, "groups"), { recursive: true });
    await store.#lock();
    return store;
  }

  async #lock(): Promise<void> {
    const path = join(this.dir, "LOCK");
    try {
      const owner = Number((await readFile(path, "utf8")).trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new ReeltimeError(
          "REELTIME_ERR_BUS_LOCKED",
          `the embedded bus at ${this.dir} is open in process ${owner}: run everything in one process (reeltime dev), give each process its own REELTIME_DATA_DIR, or use REELTIME_BUS=kafka`,
        );
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    await writeFile(path, String(process.pid));
  }

  async ensureTopic(topic: string, partitions: number): Promise<PartitionLog[]> {
    if (!TOPIC_NAME.test(topic)) {
      throw new ReeltimeError(
        "REELTIME_ERR_BUS_TOPIC",
        `"${topic}" is not a valid topic name: use 1 to 249 letters, digits, ".", "_" or "-"`,
      );
    }
    const known = this.#topics.get(topic);
    if (known) return known;
    let opening = this.#opening.get(topic);
    if (!opening) {
      opening = this.#openTopic(topic, partitions);
      this.#opening.set(topic, opening);
      opening.finally(() => this.#opening.delete(topic)).catch(() => {});
    }
    return opening;
  }

  async #openTopic(topic: string, partitions: number): Promise<PartitionLog[]> {
    const dir = join(this.dir, "topics", topic);
    const metaPath = join(dir, "topic.json");
    let count = partitions;
    try {
      count = (JSON.parse(await readFile(metaPath, "utf8")) as { partitions: number }).partitions;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(metaPath, JSON.stringify({ partitions }));
    }
    const logs = await Promise.all(
      Array.from({ length: count }, (_, p) => PartitionLog.open(join(dir, String(p)), this.#segmentBytes)),
    );
    this.#topics.set(topic, logs);
    return logs;
  }

  /** The partitions of a topic opened in this process, if it is. */
  openTopicLogs(topic: string): PartitionLog[] | undefined {
    return this.#topics.get(topic);
  }

  /** Topics created in earlier runs are opened on first use. */
  async existingTopic(topic: string): Promise<PartitionLog[] | undefined> {
    const known = this.#topics.get(topic);
    if (known) return known;
    try {
      await readFile(join(this.dir, "topics", topic, "topic.json"));
    } catch {
      return undefined;
    }
    return this.ensureTopic(topic, 1);
  }

  /** Resolves once every message is fsync'd; concurrent publishes share one fsync per partition. */
  append(topic: string, messages: BusMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ topic, messages, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        const perPartition = new Map<PartitionLog, Buffer[]>();
        const now = Date.now();
        for (const p of batch) {
          const logs = this.#topics.get(p.topic);
          if (!logs) throw new Error(`topic ${p.topic} is not open`);
          for (const m of p.messages) {
            const log = logs[partitionFor(m.key, logs.length)] as PartitionLog;
            const list = perPartition.get(log) ?? [];
            list.push(encodeRecord(m, now));
            perPartition.set(log, list);
          }
        }
        await Promise.all([...perPartition].map(([log, records]) => log.append(records)));
        for (const p of batch) p.resolve();
      } catch (e) {
        const err = fsUnavailable(this.dir, e);
        for (const p of batch) p.reject(err);
      }
      this.version++;
      for (const w of this.#waiters) w();
      this.#waiters.clear();
    }
    this.#flushing = null;
  }

  /** Resolves when something was appended after `since`, or after `ms`, or on abort. */
  waitForAppend(since: number, ms: number, signal: AbortSignal): Promise<void> {
    if (this.version !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }

  group(name: string): GroupCoordinator {
    let g = this.#groups.get(name);
    if (!g) {
      g = new GroupCoordinator(name, join(this.dir, "groups", `${encodeURIComponent(name)}.json`));
      this.#groups.set(name, g);
    }
    return g;
  }

  async close(): Promise<void> {
    await this.#flushing;
    for (const logs of this.#topics.values()) await Promise.all(logs.map((l) => l.close()));
    this.#topics.clear();
    await unlink(join(this.dir, "LOCK")).catch(() => {});
  }

  static resolveDir(dataDir: string): string {
    return resolve(dataDir, "bus");
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
