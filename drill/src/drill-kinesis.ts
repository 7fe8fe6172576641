import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@elastic/elasticsearch";
import { createCheckpointStore, startGroupsAtEnd } from "@reeltime/bus-kinesis";
import { createBus, type Lease } from "@reeltime/connectors";
import { FAMILIES, type ReeltimeEvent, TOPICS } from "@reeltime/events";
import { down, LOCAL_ENDPOINTS, up } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { syntheticEvents } from "@reeltime/testkit/workload";
import {
  BIN,
  DrillAbort,
  type DrillReport,
  exactCounts,
  type OutageCheck,
  ROOT,
  realEnv,
  sleep,
  unlessStopped,
  until,
} from "./drill.ts";
import { Instance } from "./instance.ts";
import { PacedProducer } from "./producer.ts";

/**
 * The consumer groups of `reeltime process` whose leases the drill checks, and the streams each
 * reads (each group has its own leases). The viewers and delivery groups run too but are not
 * checked here: viewers keeps no checkpointed state, and the drill publishes no CDN requests.
 */
export const GROUP_STREAMS: Record<string, readonly string[]> = {
  // The indexer and the event archiver read every family of the contract.
  "reeltime-indexer": FAMILIES.map((f) => TOPICS[f]),
  "reeltime-archiver": FAMILIES.map((f) => TOPICS[f]),
  "reeltime-sessionizer": [TOPICS.playback],
  "reeltime-view-archiver": [TOPICS.playback],
  "reeltime-jobs": [TOPICS.job],
  "reeltime-job-archiver": [TOPICS.job],
  "reeltime-dead-letters": [TOPICS.deadLetter],
};

export interface KinesisDrillOptions {
  events: number;
  outageSeconds: number;
  eventsPerSecond: number;
  /** Processor instances at the end of the scale-up (default 3): two start, the rest join mid-stream. */
  instances: number;
  /** Metrics ports, one per instance. */
  ports: number[];
  /** Lease time (REELTIME_KINESIS_LEASE_MS; default 6000). */
  leaseMs?: number;
  showMismatches?: number;
  log: (line: string) => void;
  /** Stops the drill (its instances ended, its services back up) when the caller gives up. */
  signal?: AbortSignal;
}

export interface KinesisDrillReport extends DrillReport {
  /** Open shards summed over the groups' streams, and how the live owners split them before the kill. */
  shards: number;
  splits: number[][];
  /** Leases the killed instance held, and when the survivors held all of them (ms after the kill). */
  orphaned: number;
  takeoverMs: number;
  leaseMs: number;
}

/**
 * The fault drill on Kinesis: events published to kinesis-local while `reeltime process`
 * instances, each with its own data directory (nothing shared but the services), hold shard
 * leases in one DynamoDB table (dynalite): two instances split the shards, more join and the
 * split follows, one is killed with SIGKILL mid-stream and the survivors must hold its leases
 * within the lease time; S3 (SeaweedFS) and Elasticsearch go down with work pending. No broker restart:
 * Kinesis is a managed service, and kinesis-local writes its data every 5 s, so a restart of
 * it could drop records it had acknowledged (a fault of the emulator, not of the consumers).
 * Then the same exact counts and view reference as the Kafka drill.
 */
export async function runKinesisDrill(opts: KinesisDrillOptions): Promise<KinesisDrillReport> {
  const started = Date.now();
  const { log } = opts;
  const leaseMs = opts.leaseMs ?? 6000;
  const app = `drill-k-${Date.now().toString(36)}`;
  const dataDir = join(ROOT, ".reeltime", "drill", app);
  const base: Record<string, string> = {
    ...realEnv(join(dataDir, "drill")),
    REELTIME_BUS: "kinesis",
    REELTIME_KINESIS_ENDPOINT: LOCAL_ENDPOINTS.kinesis.endpoint,
    REELTIME_KINESIS_LEASES: "dynamodb",
    REELTIME_KINESIS_LEASE_TABLE: `reeltime-leases-${app}`,
    REELTIME_DYNAMODB_ENDPOINT: LOCAL_ENDPOINTS.dynamodb.endpoint,
    REELTIME_KINESIS_LEASE_MS: String(leaseMs),
    REELTIME_KINESIS_POLL_MS: "250",
    // kinesis-local on a machine shared with other runs can take seconds to answer.
    REELTIME_BUS_TIMEOUT_MS: "15000",
  };
  const conn = loadEnv(ConnectionEnv, base);
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 1000;
  const events: ReeltimeEvent[] = syntheticEvents(opts.events, { app, t0, unit: "events" });
  log(`drill ${app} on Kinesis: ${events.length} events at ${opts.eventsPerSecond}/s, ${opts.instances} instances`);

  for (const [k, v] of Object.entries(base)) if (k.startsWith("AWS_")) process.env[k] = v;
  const leases = await createCheckpointStore(conn);
  const open = await startGroupsAtEnd(conn, leases.store, GROUP_STREAMS, app);
  // Open shards summed over the groups: the leases the instances split.
  const shards = Object.values(GROUP_STREAMS)
    .flat()
    .reduce((n, s) => n + (open.get(s) ?? 0), 0);
  log(`  ${shards} group shards (${[...open].map(([s, n]) => `${s} ${n}`).join(", ")}), each group starts at the ends`);
  /** Lease rows of every group on every stream, and the live owners' open-shard counts. */
  const rows = async (): Promise<Lease[]> =>
    (
      await Promise.all(Object.entries(GROUP_STREAMS).flatMap(([g, ss]) => ss.map((s) => leases.store.list(g, s))))
    ).flat();
  // Owner ids are `host:pid:uuid`, one per subscription: the pid names the instance.
  const pidOf = (owner: string) => Number(owner.split(":")[1]);
  /** Open shards each instance (pid) holds over all groups, and whether every group's split is even. */
  const owners = (ls: Lease[], instances: number) => {
    const total = new Map<number, number>();
    const perGroup = new Map<string, Map<number, number>>();
    for (const l of ls)
      if (!l.finished && l.owner) {
        const pid = pidOf(l.owner);
        total.set(pid, (total.get(pid) ?? 0) + 1);
        const g = perGroup.get(l.group) ?? new Map<number, number>();
        g.set(pid, (g.get(pid) ?? 0) + 1);
        perGroup.set(l.group, g);
      }
    const even = [...perGroup.values()].every((g) => {
      const counts = [...g.values()];
      const n = counts.reduce((x, y) => x + y, 0);
      // A group of n shards over k instances: each holds floor(n/k) or ceil(n/k).
      return counts.every((c) => c === Math.floor(n / instances) || c === Math.ceil(n / instances));
    });
    return { total, even };
  };

  const bus = await createBus(conn);
  await bus.start();
  const producer = new PacedProducer(bus, events, { eventsPerSecond: opts.eventsPerSecond, batch: 50 });
  const faults: string[] = [];
  const fault = (what: string) => {
    faults.push(what);
    log(`  fault: ${what} (${producer.published} published)`);
  };
  // Each instance as on a host of its own: its own data directory, only the services shared.
  const all = opts.ports.slice(0, opts.instances).map((port, i) => {
    const name = String.fromCharCode(97 + i);
    const dir = join(dataDir, name);
    mkdirSync(dir, { recursive: true });
    return new Instance(BIN, port, { ...base, REELTIME_DATA_DIR: dir }, join(dataDir, `${name}.log`));
  });
  const es = new Client({ node: LOCAL_ENDPOINTS.elasticsearch.url });
  const indexed = async () => (await es.count({ index: "reeltime-events-*", query: { term: { app_id: app } } })).count;
  const outages: OutageCheck[] = [];
  /** Services this drill has stopped and not yet started again (started in `finally` if it stops early). */
  const stopped = new Set<OutageCheck["service"]>();
  const outage = async (service: OutageCheck["service"]): Promise<OutageCheck> => {
    fault(`stop ${service === "seaweedfs" ? "SeaweedFS (S3)" : "Elasticsearch"} for ${opts.outageSeconds} s`);
    const from = Date.now();
    const before = producer.published;
    stopped.add(service);
    await down({ only: [service], print: () => undefined });
    await unlessStopped(sleep(opts.outageSeconds * 1000), opts.signal);
    const publishedDuring = producer.published - before;
    await up({ only: [service], print: () => undefined });
    stopped.delete(service);
    const store = service === "seaweedfs" ? "archive" : "search";
    const failedAttempts: Record<string, number> = {};
    for (const i of all)
      for (const [p, n] of i.failuresLogged(store, from, Date.now())) failedAttempts[p] = (failedAttempts[p] ?? 0) + n;
    const listed = Object.entries(failedAttempts).map(([p, n]) => `${p} ${n}`);
    log(`    failed ${store} writes retried: ${listed.join(", ") || "none"}; ${publishedDuring} events published`);
    return { service, failedAttempts, publishedDuring };
  };
  /** Fails the drill at once when an instance that should run has exited (its log tail says why). */
  const dead = (running: Instance[]) => {
    for (const i of running)
      if (i.child && i.child.exitCode !== null) {
        const tail = readFileSync(i.logFile, "utf8").slice(-600);
        throw new DrillAbort(`drill: instance on port ${i.port} exited (${i.child.exitCode}): ${tail}`);
      }
  };
  /** Waits until exactly the running instances hold every open shard of every group, each group split evenly. */
  const splitAmong = async (running: Instance[]) => {
    const pids = new Set(running.map((i) => i.child?.pid));
    let seen: number[] = [];
    let said = Date.now();
    await until(
      `${running.length} instances splitting the shards`,
      async () => {
        dead(running);
        const ls = await rows().catch((e: unknown) => {
          if (Date.now() - said > 10_000) log(`    lease table not read: ${(e as Error).message}`);
          throw e;
        });
        const { total: held, even } = owners(ls, running.length);
        if (Date.now() - said > 10_000) {
          said = Date.now();
          log(`    leases held: ${[...held].map(([pid, n]) => `pid ${pid} ${n}`).join(", ") || "none"}`);
        }
        if (held.size !== running.length || ![...held.keys()].every((pid) => pids.has(pid))) return false;
        if ([...held.values()].reduce((x, y) => x + y, 0) !== shards || !even) return false;
        seen = [...held.values()].sort((x, y) => x - y);
        return true;
      },
      180_000,
      log,
      opts.signal,
    );
    log(`    ${running.length} instances hold ${seen.join("/")} of ${shards} group shards`);
    return seen;
  };

  const splits: number[][] = [];
  let orphaned = 0;
  let takeoverMs = -1;
  const alive = all.slice(0, 2);
  for (const i of alive) i.start();
  const publishing = producer.start();
  publishing.catch(() => undefined);
  try {
    const published = async (share: number) =>
      until(
        `${Math.round(share * 100)} % published`,
        async () => producer.published >= events.length * share,
        600_000,
        log,
        opts.signal,
      );
    splits.push(await splitAmong(alive));
    for (const i of all.slice(2)) {
      fault(`start instance ${String.fromCharCode(97 + all.indexOf(i)).toUpperCase()}`);
      i.start();
      alive.push(i);
    }
    if (alive.length > 2) splits.push(await splitAmong(alive));

    await published(0.2);
    const victim = alive[alive.length - 1] as Instance;
    const victimPid = victim.child?.pid;
    const before = await rows();
    const theirs = before
      .filter((l) => l.owner && pidOf(l.owner) === victimPid)
      .map((l) => `${l.group}/${l.stream}/${l.shard}`);
    orphaned = theirs.length;
    const killedAt = Date.now();
    fault(
      `kill -9 instance ${String.fromCharCode(97 + all.indexOf(victim)).toUpperCase()} (holding ${orphaned} leases)`,
    );
    victim.kill();
    alive.pop();
    const survivors = new Set(alive.map((i) => i.child?.pid));
    await until(
      "the survivors holding the killed instance's leases",
      async () => {
        dead(alive);
        const ls = await rows();
        const moved = ls.filter((l) => theirs.includes(`${l.group}/${l.stream}/${l.shard}`));
        if (!moved.every((l) => l.finished || (l.owner && survivors.has(pidOf(l.owner))))) return false;
        takeoverMs = Date.now() - killedAt;
        return true;
      },
      120_000,
      log,
      opts.signal,
    );
    log(`    survivors held all ${orphaned} leases ${(takeoverMs / 1000).toFixed(1)} s after the kill`);

    await published(0.35);
    outages.push(await outage("seaweedfs"));
    await published(0.55);
    outages.push(await outage("elasticsearch"));

    await unlessStopped(publishing, opts.signal);
    log(`  published ${producer.published} events (${producer.retries} publish calls retried)`);
    await until(
      "every event indexed",
      async () => {
        dead(alive);
        return (await indexed()) >= events.length;
      },
      900_000,
      log,
      opts.signal,
    );
    const lagNow = async () => {
      const ls = await Promise.all(alive.map((i) => i.lag()));
      return ls.some((l) => l === undefined) ? undefined : ls.reduce((x, y) => (x ?? 0) + (y ?? 0), 0);
    };
    await until("consumer lag back to 0", async () => (await lagNow()) === 0, 600_000, log, opts.signal);
    await sleep(7000);
    const lag = (await lagNow()) ?? -1;
    return {
      published: producer.published,
      ...(await exactCounts(es, conn, app, t0, events, opts.showMismatches)),
      outages,
      publishRetries: producer.retries,
      lag,
      faults,
      seconds: Math.round((Date.now() - started) / 1000),
      shards,
      splits,
      orphaned,
      takeoverMs,
      leaseMs,
    };
  } finally {
    producer.stop();
    producer.resume();
    await Promise.all(all.map((i) => i.stop()));
    if (stopped.size > 0) await up({ only: [...stopped], print: () => undefined }).catch(() => undefined);
    await es.close();
    await bus.shutdown().catch(() => undefined);
    leases.close();
  }
}
