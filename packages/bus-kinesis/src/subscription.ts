import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type KinesisClient, ListShardsCommand, type Shard } from "@aws-sdk/client-kinesis";
import type {
  CheckpointStore,
  ConsumeOptions,
  Lease,
  PartitionLag,
  PartitionRef,
  Position,
  Subscription,
} from "@reeltime/ports";
import { kinesisError } from "./client.ts";
import { isAfter } from "./offsets.ts";
import { ShardReader } from "./shard-reader.ts";

interface Held {
  lease: Lease;
  reader: ShardReader;
  /** Writes to one lease run one after another, so renewals never race checkpoints. */
  chain: Promise<unknown>;
  /** Which taking of the lease this is (see Subscription.hold). */
  hold: number;
}

let takings = 0;

/**
 * How long a stream's shard list is reused (KCL syncs shards every 60 s by default): a split
 * or merge is seen within this time, or at once by the consumer whose shard ended.
 */
const SHARD_SYNC_MS = 30_000;

export interface KinesisConsumerConfig {
  client: KinesisClient;
  store: CheckpointStore;
  leaseMs: number;
  pollMs: number;
  endpoint: string;
}

/**
 * A consumer of a group on Kinesis, coordinating through leases in a CheckpointStore.
 * Every leaseMs/3 it renews its leases, takes free or expired ones up to its fair share
 * (shards / live owners), and takes one from an owner holding more than that share, so a new
 * instance gets shards without waiting for anyone to expire. Children of a resharded shard
 * start once their parents are finished.
 */
export class KinesisSubscription implements Subscription {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #cfg: KinesisConsumerConfig;
  readonly #options: ConsumeOptions;
  readonly #held = new Map<string, Held>();
  /** Per lease of others: the counter last read and when (this clock) it was first read at that value. */
  readonly #observed = new Map<string, { version: number; since: number }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  /** Renewals run on a timer of their own (KCL's LeaseRenewer beside its LeaseTaker). */
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  /** Each stream's shards as last listed, and when: ListShards runs every SHARD_SYNC_MS, or when a shard ends. */
  readonly #listed = new Map<string, { at: number; shards: Shard[] }>();
  #stopping: Promise<void> | null = null;

  constructor(cfg: KinesisConsumerConfig, options: ConsumeOptions) {
    this.#cfg = cfg;
    this.#options = options;
  }

  /** Takes a first share of the shards; rejects if the streams cannot be listed. */
  async start(): Promise<void> {
    this.#ticking = this.#tick(true);
    await this.#ticking;
    this.#schedule();
    this.#scheduleRenewals();
  }

  get #period(): number {
    return Math.max(200, Math.floor(this.#cfg.leaseMs / 3));
  }

  /**
   * The heartbeat, apart from taking and balancing: a slow ListShards or lease-table scan on a
   * loaded host must not delay renewals past the lease time, or the other owners see the
   * counter stand still and take leases that are still worked on (seen as leases moving back
   * and forth between two instances on a 2-CPU machine, with 6 s leases).
   */
  #scheduleRenewals(): void {
    if (this.#stopping) return;
    this.#renewTimer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => this.#scheduleRenewals());
    }, this.#period);
  }

  async #renew(): Promise<void> {
    await Promise.allSettled(
      [...this.#held.keys()].map((key) =>
        this.#update(key, (l) => ({ ...l, owner: this.owner, expiresAt: Date.now() + this.#cfg.leaseMs })),
      ),
    );
  }

  #schedule(): void {
    if (this.#stopping) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick(false).finally(() => this.#schedule());
    }, this.#period);
  }

  async #tick(first: boolean): Promise<void> {
    const eligible: Lease[] = [];
    for (const stream of this.#options.topics) {
      try {
        eligible.push(...(await this.#survey(stream)));
      } catch (e) {
        if (first) throw kinesisError(e, `list the shards of stream ${stream}`, this.#cfg.endpoint);
      }
    }
    if (!this.#stopping) await this.#balance(eligible);
  }

  async #shards(stream: string): Promise<Shard[]> {
    const cached = this.#listed.get(stream);
    if (cached && Date.now() - cached.at < SHARD_SYNC_MS) return cached.shards;
    const out: Shard[] = [];
    let token: string | undefined;
    do {
      const res = await this.#cfg.client.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }),
      );
      out.push(...(res.Shards ?? []));
      token = res.NextToken;
    } while (token);
    this.#listed.set(stream, { at: Date.now(), shards: out });
    return out;
  }

  /** Makes missing lease rows of a stream; resolves its leases that may be worked on now (parents done). */
  async #survey(stream: string): Promise<Lease[]> {
    const { store } = this.#cfg;
    const group = this.#options.group;
    const shards = await this.#shards(stream);
    const leases = new Map((await store.list(group, stream)).map((l) => [l.shard, l]));
    const parentsOf = (s: Shard) => [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p).sort();
    // A closed shard without a lease whose child has one was finished before (its row aged
    // out): it is recorded finished rather than read again from the start.
    const childLeased = new Set(shards.filter((s) => leases.has(s.ShardId as string)).flatMap((s) => parentsOf(s)));
    for (const s of shards) {
      const id = s.ShardId as string;
      if (leases.has(id)) continue;
      const closed = s.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const fresh = {
        group,
        stream,
        shard: id,
        owner: null,
        expiresAt: 0,
        checkpoint: null,
        finished: closed && childLeased.has(id),
        parents: parentsOf(s),
        ownerSwitches: 0,
      };
      const created = await store.put(fresh, 0);
      if (created) leases.set(id, created);
    }
    const now = Date.now();
    const known = new Set(shards.map((s) => s.ShardId));
    // A parent is done once its lease says SHARD_END, or once the stream no longer lists it
    // (trimmed after retention); parents come from the lease row and from ListShards.
    const done = (id: string) => !known.has(id) || leases.get(id)?.finished === true;
    const eligible = shards
      .filter((s) => {
        const l = leases.get(s.ShardId as string);
        return [...parentsOf(s), ...(l?.parents ?? [])].every(done);
      })
      .map((s) => leases.get(s.ShardId as string))
      .filter((l): l is Lease => l !== undefined && !l.finished);
    // KCL's expiry: a lease of another owner is expired once its leaseCounter has not moved for
    // a lease time as measured by this clock, so clock skew between hosts does not matter. The
    // stored expiresAt only shortens that wait for a lease whose owner has been gone for over two
    // lease times (a host starting after everyone crashed), which tolerates skew up to a lease time.
    for (const l of leases.values()) {
      const key = `${stream}/${l.shard}`;
      const o = this.#observed.get(key);
      if (!o || o.version !== l.version) this.#observed.set(key, { version: l.version, since: now });
    }
    return eligible;
  }

  /**
   * Takes free or expired leases up to a fair share of all the group's leases on every stream
   * it reads (KCL balances across the application, not per stream: per stream, 3 workers on
   * four 2-shard streams can settle at 2/4/2), then steals one from the most loaded owner.
   */
  async #balance(eligible: Lease[]): Promise<void> {
    const { leaseMs } = this.#cfg;
    const now = Date.now();
    const key = (l: Lease) => `${l.stream}/${l.shard}`;
    const live = (l: Lease) => {
      if (l.owner === null) return false;
      if (l.owner === this.owner) return this.#held.has(key(l)) || l.expiresAt > now;
      const since = this.#observed.get(key(l))?.since ?? now;
      return now - since < leaseMs && l.expiresAt + leaseMs > now;
    };
    const owners = new Set([this.owner, ...eligible.filter(live).map((l) => l.owner as string)]);
    const target = Math.ceil(eligible.length / owners.size);
    let mine = this.#held.size;

    const free = eligible.filter((l) => !live(l) && !this.#held.has(key(l)));
    for (const l of free.sort(() => Math.random() - 0.5)) {
      if (mine >= target || this.#stopping) return;
      if (await this.#take(l)) mine++;
    }
    if (mine >= target) return;
    const byOwner = new Map<string, Lease[]>();
    for (const l of eligible.filter(live)) {
      if (l.owner === this.owner) continue;
      byOwner.set(l.owner as string, [...(byOwner.get(l.owner as string) ?? []), l]);
    }
    const [, most] = [...byOwner].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    if (most && most.length > target) await this.#take(most[Math.floor(Math.random() * most.length)] as Lease);
  }

  async #take(l: Lease): Promise<boolean> {
    const { version, ...rest } = l;
    const switches = (rest.ownerSwitches ?? 0) + (rest.owner !== this.owner ? 1 : 0);
    const lease = await this.#cfg.store.put(
      { ...rest, owner: this.owner, expiresAt: Date.now() + this.#cfg.leaseMs, ownerSwitches: switches },
      version,
    );
    if (!lease) return false;
    if (this.#stopping) {
      await this.#cfg.store.put({ ...rest, owner: null, expiresAt: 0 }, lease.version);
      return false;
    }
    const key = `${l.stream}/${l.shard}`;
    const reader = new ShardReader({
      client: this.#cfg.client,
      stream: l.stream,
      shard: l.shard,
      options: this.#options,
      pollMs: this.#cfg.pollMs,
      startAfter: lease.checkpoint,
      checkpoint: (offset) =>
        this.#update(key, (cur) => ({
          ...cur,
          ...(isAfter(offset, cur.checkpoint) ? { checkpoint: offset, ownerSwitches: 0 } : {}),
          expiresAt: Date.now() + this.#cfg.leaseMs,
        })),
      finished: async () => {
        await this.#update(key, (cur) => ({ ...cur, finished: true, owner: null, expiresAt: 0 }));
        this.#held.delete(key);
        // Its children are listed now, not at the next shard sync.
        this.#listed.delete(l.stream);
      },
    });
    this.#held.set(key, { lease, reader, chain: Promise.resolve(), hold: ++takings });
    reader.start();
    return true;
  }

  /** A conditional write of a held lease; false (and the reader dropped) when someone took it. */
  #update(key: string, mutate: (l: Omit<Lease, "version">) => Omit<Lease, "version">): Promise<boolean> {
    const h = this.#held.get(key);
    if (!h) return Promise.resolve(false);
    const run = h.chain.then(async () => {
      const { version, ...cur } = h.lease;
      const stored = await this.#cfg.store.put(mutate(cur), version);
      if (stored) {
        h.lease = stored;
        return true;
      }
      if (this.#held.get(key) === h) this.#held.delete(key);
      h.reader.drop();
      return false;
    });
    h.chain = run.catch(() => {});
    return run;
  }

  async commit(positions: Position[]): Promise<void> {
    for (const p of positions) {
      const key = `${p.topic}/${p.partition}`;
      const h = this.#held.get(key);
      if (!h) continue;
      if (isAfter(p.offset, h.lease.checkpoint))
        await this.#update(key, (cur) => ({
          ...cur,
          ...(isAfter(p.offset, cur.checkpoint) ? { checkpoint: p.offset, ownerSwitches: 0 } : {}),
        }));
      h.reader.committed(p.offset);
    }
  }

  assignments(): PartitionRef[] {
    return [...this.#held.values()].map((h) => ({ topic: h.lease.stream, partition: h.lease.shard }));
  }

  hold(topic: string, partition: string): number | undefined {
    return this.#held.get(`${topic}/${partition}`)?.hold;
  }

  /**
   * Takes this instance's own lease again: a conditional write (an owner that has not yet
   * noticed losing the lease fails its next write), a new hold and a reader from the
   * checkpoint. The old reader stops after the batch in hand.
   */
  async reread(topic: string, partition: string): Promise<void> {
    const key = `${topic}/${partition}`;
    const h = this.#held.get(key);
    if (!h || this.#stopping) return;
    this.#held.delete(key);
    h.reader.drop();
    await h.chain.catch(() => {});
    // False when someone else took it meanwhile: theirs now, from the checkpoint.
    await this.#take(h.lease).catch(() => false);
  }

  /** An estimate for the shards held here: messages delivered but not committed, +1 if the reader is behind. */
  async lag(): Promise<PartitionLag[]> {
    return [...this.#held.values()].map((h) => ({
      topic: h.lease.stream,
      partition: h.lease.shard,
      lag: h.reader.lag(),
    }));
  }

  /** Lets running handlers finish, then releases the leases so others take over at once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearTimeout(this.#timer);
      clearTimeout(this.#renewTimer);
      await Promise.all([this.#ticking.catch(() => {}), this.#renewing.catch(() => {})]);
      clearTimeout(this.#timer);
      clearTimeout(this.#renewTimer);
      await Promise.all([...this.#held.values()].map((h) => h.reader.stop()));
      await Promise.allSettled(
        [...this.#held.keys()].map((key) => this.#update(key, (cur) => ({ ...cur, owner: null, expiresAt: 0 }))),
      );
      this.#held.clear();
    })();
    return this.#stopping;
  }
}
