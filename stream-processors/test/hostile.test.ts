import { describe, it } from "vitest";
import { runHostileScenario } from "./hostile/scenario.ts";

describe("hostile content on the embedded default", () => {
  it("a 5,000-level body, a lone surrogate and property-based hostile strings: stored everywhere or dead-lettered, lag 0", async () => {
    await runHostileScenario({}, { seed: 42, runs: 60 });
  }, 180_000);
});
