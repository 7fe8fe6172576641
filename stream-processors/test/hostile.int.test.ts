import { localServicesEnv } from "@reeltime/infra";
import { describe, it } from "vitest";
import { runHostileScenario } from "./hostile/scenario.ts";

describe("hostile content on Kafka, Elasticsearch and S3 (SeaweedFS)", () => {
  it("a 5,000-level body, a lone surrogate and property-based hostile strings: stored everywhere or dead-lettered, lag 0", async () => {
    await runHostileScenario(localServicesEnv(), { seed: 7, runs: 60 });
  }, 240_000);
});
