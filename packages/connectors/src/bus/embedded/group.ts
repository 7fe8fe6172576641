import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "./files.ts";

/** A partition as `topic/partition` (topic names cannot hold a slash). */
export type PartitionKey = string;
export const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

export interface GroupMember {
  readonly topics: readonly string[];
  owned(): PartitionKey[];
  /** Stops work on these partitions; resolves once no handler runs on any of them. */
  revoke(keys: PartitionKey[]): Promise<void>;
  grant(keys: PartitionKey[]): void;
}

/**
 * One consumer group: splits partitions between its members (round robin, in join order),
 * moving a partition only after its old owner finished the batch in hand, and keeps the
 * committed positions (the next offset to read) in one JSON file, replaced atomically.
 */
export class GroupCoordinator {
  readonly name: string;
  readonly #path: string;
  readonly #members: GroupMember[] = [];
  #offsets: Record<string, Record<string, number>> | null = null;
  #rebalancing: Promise<void> = Promise.resolve();
  #writing: Promise<void> = Promise.resolve();
  #nextWrite: Promise<void> | null = null;

  constructor(name: string, path: string) {
    this.name = name;
    this.#path = path;
  }

  join(member: GroupMember, partitionsOf: (topic: string) => number): Promise<void> {
    this.#members.push(member);
    return this.rebalance(partitionsOf);
  }

  leave(member: GroupMember, partitionsOf: (topic: string) => number): Promise<void> {
    const i = this.#members.indexOf(member);
    if (i >= 0) this.#members.splice(i, 1);
    return this.rebalance(partitionsOf);
  }

  /** Re-splits partitions, e.g. after a topic was created or grew. */
  rebalance(partitionsOf: (topic: string) => number): Promise<void> {
    const run = this.#rebalancing.then(async () => {
      const desired = new Map<GroupMember, Set<PartitionKey>>(this.#members.map((m) => [m, new Set()]));
      const topics = new Set(this.#members.flatMap((m) => m.topics));
      for (const topic of topics) {
        const subscribed = this.#members.filter((m) => m.topics.includes(topic));
        for (let p = 0; p < partitionsOf(topic); p++) {
          desired.get(subscribed[p % subscribed.length] as GroupMember)?.add(partitionKey(topic, p));
        }
      }
      await Promise.all(this.#members.map((m) => m.revoke(m.owned().filter((k) => !desired.get(m)?.has(k)))));
      for (const m of this.#members) {
        const owned = new Set(m.owned());
        m.grant([...(desired.get(m) ?? [])].filter((k) => !owned.has(k)));
      }
    });
    this.#rebalancing = run.catch(() => {});
    return run;
  }

  /** The next offset to read for the group, or undefined if it never committed one. */
  async committed(topic: string, partition: number): Promise<number | undefined> {
    return (await this.#load())[topic]?.[String(partition)];
  }

  /** Moves positions forward only, then persists them before resolving. */
  async commit(entries: { topic: string; partition: number; next: number }[]): Promise<void> {
    const offsets = await this.#load();
    let changed = false;
    for (const e of entries) {
      const t = offsets[e.topic] ?? {};
      offsets[e.topic] = t;
      if ((t[String(e.partition)] ?? -1) < e.next) {
        t[String(e.partition)] = e.next;
        changed = true;
      }
    }
    if (changed) await this.#persist();
  }

  #persist(): Promise<void> {
    if (this.#nextWrite) return this.#nextWrite;
    const write = this.#writing.then(() => {
      this.#nextWrite = null;
      return writeFileAtomic(this.#path, JSON.stringify(this.#offsets));
    });
    this.#nextWrite = write;
    this.#writing = write.catch(() => {});
    return write;
  }

  async #load(): Promise<Record<string, Record<string, number>>> {
    if (this.#offsets) return this.#offsets;
    let loaded: Record<string, Record<string, number>> = {};
    try {
      loaded = JSON.parse(await readFile(this.#path, "utf8"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    this.#offsets ??= loaded;
    return this.#offsets;
  }
}
