import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("createBus", () => {
  it("loads this package by name for REELTIME_BUS=kinesis; nothing connects before start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-kinesis-factory-"));
    try {
      const bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_BUS: "kinesis", REELTIME_DATA_DIR: dir }));
      expect(bus.driver).toBe("kinesis");
      await bus.shutdown();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
