import { createServer } from "node:net";
import { FAMILIES } from "@reeltime/events";
import { afterAll, describe, expect, it } from "vitest";
import { runKinesisDrill } from "../src/drill-kinesis.ts";

// The fault drill on Kinesis at a modest size (`npm run drill -- --bus kinesis` for more):
// kinesis-local, leases in dynalite, three `reeltime process` instances with their own data
// directories (two first, the third joins), one killed with SIGKILL mid-stream, S3 (SeaweedFS) and
// Elasticsearch down with work pending.
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const LEASE_MS = 6000;
// A test that times out must not leave its instances running (or a service stopped) into the
// next test file: teardown stops the drill and waits for its cleanup.
const stop = new AbortController();
let running: Promise<unknown> | undefined;
afterAll(async () => {
  stop.abort();
  await running?.catch(() => undefined);
}, 120_000);

describe("fault drill on Kinesis", () => {
  it("instances split the shards, survivors take a killed one's leases within the lease time, every count is exact", async () => {
    const drill = runKinesisDrill({
      events: 3000,
      outageSeconds: 20,
      // 3000 events over about 150 s: publishing goes on through the kill and both outages.
      eventsPerSecond: 20,
      instances: 3,
      ports: [await freePort(), await freePort(), await freePort()],
      leaseMs: LEASE_MS,
      log: (l) => process.stdout.write(`${l}\n`),
      signal: stop.signal,
    });
    running = drill;
    const r = await drill;
    // syntheticEvents ends on a whole view: a few events past the count asked for.
    expect(r.published).toBeGreaterThanOrEqual(3000);
    // Every group shard held, first by two instances, then by three (the drill waits for each
    // group's split to be even: floor or ceil of its shards over the instances).
    // 2 shards per stream: the indexer and the archiver read every family's stream (seven with
    // cdn: 14 each), dead-letters, sessionizer, jobs, view-archiver and job-archiver one stream
    // each (2 each). GROUP_STREAMS lists the groups whose leases the drill checks.
    expect(r.shards).toBe(2 * (FAMILIES.length + FAMILIES.length + 1 + 1 + 1 + 1 + 1));
    expect(FAMILIES.length).toBe(7);
    expect(r.splits).toHaveLength(2);
    for (const [i, split] of r.splits.entries()) {
      expect(split).toHaveLength(i + 2);
      expect(split.reduce((x, y) => x + y, 0)).toBe(r.shards);
      expect(Math.min(...split)).toBeGreaterThan(0);
    }
    // The killed instance held leases; the survivors held them all within a lease time and two
    // renewal ticks (leaseMs / 3 each) after the kill, plus slack for a loaded machine.
    expect(r.orphaned).toBeGreaterThan(0);
    expect(r.takeoverMs).toBeGreaterThan(0);
    expect(r.takeoverMs).toBeLessThanOrEqual(LEASE_MS + (2 * LEASE_MS) / 3 + 3000);
    expect([r.searchDocs, r.searchDistinct]).toEqual([r.published, r.published]);
    expect([r.archiveRows, r.archiveDistinct]).toEqual([r.published, r.published]);
    expect(r.mismatches).toEqual([]);
    expect(r.viewsMatching).toBe(r.views);
    const failed = (o: (typeof r.outages)[number]) => Object.values(o.failedAttempts).reduce((x, y) => x + y, 0);
    expect(r.outages.map((o) => [o.service, failed(o) >= 2, o.publishedDuring > 0])).toEqual([
      ["seaweedfs", true, true],
      ["elasticsearch", true, true],
    ]);
    expect(r.lag).toBe(0);
    console.log(
      `kinesis drill: ${r.published} events, ${r.shards} group shards split ${r.splits.map((s) => s.join("/")).join(" then ")}, ` +
        `${r.orphaned} leases taken over in ${(r.takeoverMs / 1000).toFixed(1)} s (lease ${LEASE_MS / 1000} s), ${r.seconds} s`,
    );
  }, 600_000);
});
