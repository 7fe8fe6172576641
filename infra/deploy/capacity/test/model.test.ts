import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { capacity, generatedBlock, INPUTS, normalizeTables, renderTables } from "../model.ts";

const doc = readFileSync(new URL("../../../../docs/capacity.md", import.meta.url), "utf8");

describe("capacity model", () => {
  it("docs/capacity.md shows exactly what the script computes", () => {
    const block = generatedBlock(doc);
    expect(block, "docs/capacity.md lacks the generated block's markers").toBeDefined();
    expect(normalizeTables(block!), "run: node infra/deploy/capacity/model.ts --write").toBe(
      normalizeTables(renderTables()),
    );
  });

  it("sizes 1M viewers at one event per 10 s as 100k playback events/s", () => {
    const c = capacity();
    expect(c.playbackPerSecond).toBe(100_000);
    expect(c.eventsPerSecond).toBeGreaterThan(100_000);
  });

  it("never gives a bus fewer partitions or shards than its limits and consumers need", () => {
    const c = capacity();
    expect(c.kinesis.shards * INPUTS.kinesis.recordsInPerShard).toBeGreaterThanOrEqual(c.playbackPerSecond);
    expect(c.kinesis.shards).toBeGreaterThanOrEqual(c.kinesis.byBytesOut);
    const most = Math.max(...Object.values(c.instances));
    expect(c.kafka.partitions).toBeGreaterThanOrEqual(most);
    expect(c.kafka.partitions % INPUTS.kafka.brokers).toBe(0);
  });

  it("compaction leaves far fewer objects than the archiver's cuts", () => {
    const c = capacity();
    expect(c.s3.objectsPerHourCompacted).toBeLessThan(c.s3.objectsPerHourRaw / 10);
    expect(c.es.nodes).toBeGreaterThanOrEqual(3);
  });
});
