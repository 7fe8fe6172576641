import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, createBus, type PartitionLag } from "@reeltime/connectors";
import { processorMetrics, runProcessor } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./fixtures.ts";

let dir: string;
let bus: Bus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-lag-gauges-"));
  bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics([{ name: "gauges.in", partitions: 2 }]);
});
afterAll(async () => {
  await bus.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** The embedded bus, except that its subscriptions report the lag `lags()` gives (a lease moving away). */
function withLag(inner: Bus, lags: () => PartitionLag[]): Bus {
  const bind = <T extends object>(t: T, p: string | symbol) => {
    const v = Reflect.get(t, p);
    return typeof v === "function" ? v.bind(t) : v;
  };
  return new Proxy(inner, {
    get(t, p) {
      if (p !== "consume") return bind(t, p);
      return async (o: Parameters<Bus["consume"]>[0]) =>
        new Proxy(await t.consume(o), { get: (s, q) => (q === "lag" ? async () => lags() : bind(s, q)) });
    },
  });
}

describe("lag gauges", () => {
  it("drop a partition the instance no longer holds instead of keeping its last value", async () => {
    let lags: PartitionLag[] = [
      { topic: "gauges.in", partition: "0", lag: 124 },
      { topic: "gauges.in", partition: "1", lag: 3 },
    ];
    const registry = createRegistry("gauges");
    const running = await runProcessor(
      { name: "g", group: "gauges-g", topics: ["gauges.in"], commit: "after-handler", async handle() {} },
      {
        bus: withLag(bus, () => lags),
        log: createLogger("gauges-test", { level: "silent" }),
        metrics: processorMetrics(registry),
        lagIntervalMs: 50,
      },
    );
    const gauge = async () =>
      Object.fromEntries(
        (await registry.getSingleMetric("reeltime_consumer_lag_messages")!.get()).values.map((v) => [
          v.labels.partition,
          v.value,
        ]),
      );
    try {
      await waitFor("both partitions reported", async () => (await gauge())["0"] === 124, 5000);
      expect(await gauge()).toEqual({ "0": 124, "1": 3 });
      // Partition 0 moved to another instance: only partition 1 is reported from now on.
      lags = [{ topic: "gauges.in", partition: "1", lag: 0 }];
      await waitFor("partition 0 gone", async () => !("0" in (await gauge())), 5000);
      expect(await gauge()).toEqual({ "1": 0 });
    } finally {
      await running.stop();
    }
  });
});

describe("stuck calls", () => {
  it("names a tick that does not return in the log, while it still runs", async () => {
    const lines: { message?: string; running?: string }[] = [];
    const log = createLogger("stuck-test", { level: "warn" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    let release = () => {};
    const never = new Promise<void>((r) => {
      release = r;
    });
    const running = await runProcessor(
      {
        name: "stuck",
        group: "gauges-stuck",
        topics: ["gauges.in"],
        commit: "after-handler",
        tickMs: 20,
        async handle() {},
        tick: () => never,
      },
      { bus, log, metrics: processorMetrics(createRegistry("stuck")), stuckAfterMs: 300 },
    );
    try {
      await waitFor("a warning naming the tick", async () => lines.some((l) => l.running === "tick"), 5000);
      expect(lines.find((l) => l.running === "tick")?.message).toMatch(/^stuck: a tick has not returned for \d+ s/);
    } finally {
      release();
      await running.stop();
    }
  });
});
