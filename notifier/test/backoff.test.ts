import { describe, expect, it } from "vitest";
import { fullJitterMs } from "../src/deliveries.ts";

describe("fullJitterMs", () => {
  it("waits a uniform time below min(cap, base·2^(n-1))", () => {
    expect(fullJitterMs(1, 1000, 3_600_000, () => 0.5)).toBe(500);
    expect(fullJitterMs(5, 1000, 3_600_000, () => 0.5)).toBe(8000);
    expect(fullJitterMs(30, 1000, 3_600_000, () => 0.5)).toBe(1_800_000);
    expect(fullJitterMs(3, 1000, 3_600_000, () => 0)).toBe(0);
  });
});
