import { afterAll, describe, expect, it } from "vitest";
import { runDrill } from "../src/drill.ts";

// The shorter drill of `npm test` (`npm run drill` runs 100k events): real Kafka, Elasticsearch
// and S3 (SeaweedFS), two processor instances killed with SIGKILL, a Kafka restart, ES and S3 down,
// while events are still being published.
// A test that times out must not leave its instances running (or a service stopped) into the
// next test file: teardown stops the drill and waits for its cleanup.
const stop = new AbortController();
let running: Promise<unknown> | undefined;
afterAll(async () => {
  stop.abort();
  await running?.catch(() => undefined);
}, 120_000);

// On both Kafka clients: the Helm chart runs the indexer on @platformatic/kafka (docs/benchmarks.md).
describe.each(["kafkajs", "platformatic"] as const)("fault drill, processors on %s", (kafkaDriver) => {
  it("after kills, a broker restart and outages, every count is exact", async () => {
    const lines: string[] = [];
    const drill = runDrill({
      events: 20_000,
      outageSeconds: 30,
      // 20k events over about 200 s: publishing goes on through the kills and both outages.
      eventsPerSecond: 100,
      ports: [9466, 9467],
      log: (l) => {
        lines.push(l);
        process.stdout.write(`${l}\n`);
      },
      signal: stop.signal,
      kafkaDriver,
    });
    running = drill;
    const r = await drill;
    expect(r.published).toBeGreaterThanOrEqual(20_000);
    expect(r.faults).toHaveLength(6);
    expect([r.searchDocs, r.searchDistinct]).toEqual([r.published, r.published]);
    expect([r.archiveRows, r.archiveDistinct]).toEqual([r.published, r.published]);
    expect(r.mismatches).toEqual([]);
    expect(r.viewsMatching).toBe(r.views);
    // Each outage hit pending work: writes to the stopped store failed and were retried meanwhile.
    const failed = (o: (typeof r.outages)[number]) => Object.values(o.failedAttempts).reduce((x, y) => x + y, 0);
    expect(r.outages.map((o) => [o.service, failed(o) >= 2, o.publishedDuring > 0])).toEqual([
      ["seaweedfs", true, true],
      ["elasticsearch", true, true],
    ]);
    expect(r.lag).toBe(0);
  }, 1_500_000);
});
