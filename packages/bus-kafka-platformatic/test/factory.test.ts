import { createBus } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("createBus", () => {
  it("loads this package by name for REELTIME_BUS=kafka and REELTIME_KAFKA_DRIVER=platformatic; nothing connects before start", async () => {
    const bus = await createBus(
      loadEnv(ConnectionEnv, { REELTIME_BUS: "kafka", REELTIME_KAFKA_DRIVER: "platformatic" }),
    );
    expect(bus.driver).toBe("kafka");
    await bus.shutdown();
  });
});
