import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, createBus } from "@reeltime/connectors";
import { type Processor, processorMetrics, runProcessor } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./fixtures.ts";

let dir: string;
let bus: Bus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-stall-"));
  bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics([{ name: "stall.in", partitions: 1 }]);
});
afterAll(async () => {
  await bus.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const log = createLogger("stall-test", { level: "silent" });
const stalledValue = async (registry: ReturnType<typeof createRegistry>, processor: string) => {
  const m = await registry.getSingleMetric("reeltime_processor_partition_stalled")!.get();
  return m.values.find((v) => v.labels.processor === processor && v.labels.topic === "stall.in")?.value;
};

describe("a partition that makes no progress while it has lag", () => {
  it("is reported stalled; a processor that keeps up is not", async () => {
    await bus.publish("stall.in", [{ key: "k", value: new TextEncoder().encode("{}") }]);
    const make = (name: string, fail: boolean): Processor => ({
      name,
      group: `stall-${name}`,
      topics: ["stall.in"],
      commit: "after-handler",
      async handle() {
        if (fail) throw new Error("the store refuses this batch, every time");
      },
    });
    const registry = createRegistry("stall");
    const metrics = processorMetrics(registry);
    const stuck = await runProcessor(make("stuck", true), { bus, log, metrics, lagIntervalMs: 50, stallAfterMs: 300 });
    const fine = await runProcessor(make("fine", false), { bus, log, metrics, lagIntervalMs: 50, stallAfterMs: 300 });
    try {
      await waitFor("the stuck partition reported", async () => (await stalledValue(registry, "stuck")) === 1, 10_000);
      await waitFor("the healthy one caught up", async () => (await stalledValue(registry, "fine")) === 0, 10_000);
      expect((await fine.lag()).every((l) => l.lag === 0)).toBe(true);
      const failures = await registry.getSingleMetric("reeltime_processor_batch_failures_total")!.get();
      expect(failures.values.find((v) => v.labels.processor === "stuck")?.value).toBeGreaterThan(0);
    } finally {
      await stuck.abandon();
      await fine.stop();
    }
  });
});
