import { createBus } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("createBus", () => {
  it("loads this package by name for REELTIME_BUS=kafka; nothing connects before start", async () => {
    const bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_BUS: "kafka" }));
    expect(bus.driver).toBe("kafka");
    await bus.shutdown();
  });
});
