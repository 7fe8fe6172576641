import { describe, expect, it } from "vitest";
import { type Cell, EXPECTED_GRID, renderGrid } from "../src/grid-reporter.ts";

const DOWN = "a backing service that is down gives a clear, retryable error";

function fullGrid(override: (grid: Map<string, Map<string, Cell>>) => void) {
  const grid = new Map<string, Map<string, Cell>>();
  for (const [port, adapters] of Object.entries(EXPECTED_GRID))
    grid.set(port, new Map(adapters.map((a) => [a, { passed: 10, failed: 0, skipped: 0, broken: false }])));
  override(grid);
  return renderGrid(grid);
}

describe("connector grid: skips are visible and only expected ones pass", () => {
  it("a grid with no skips passes", () => {
    const r = fullGrid(() => {});
    expect(r.ok).toBe(true);
    expect(r.text).not.toContain("skipped");
  });

  it("an expected skip passes its cell but shows in the grid with its reason", () => {
    const r = fullGrid((g) =>
      g.get("archive")!.set("fs", { passed: 9, failed: 0, skipped: 1, skippedNames: [DOWN], broken: false }),
    );
    expect(r.ok).toBe(true);
    expect(r.text).toContain("fs: pass 9/9, 1 skipped");
    expect(r.text).toContain(`skipped "${DOWN}" (expected: a local filesystem`);
  });

  it("the same skip on an adapter where it is not expected fails the cell", () => {
    const r = fullGrid((g) =>
      g.get("archive")!.set("s3", { passed: 9, failed: 0, skipped: 1, skippedNames: [DOWN], broken: false }),
    );
    expect(r.ok).toBe(false);
    expect(r.text).toContain("s3: FAIL 9/9, 1 skipped (1 unexpected)");
    expect(r.text).toContain("UNEXPECTED");
  });

  it("a skip without a name (an old grid file) counts as unexpected", () => {
    const r = fullGrid((g) => g.get("bus")!.set("kafka", { passed: 5, failed: 0, skipped: 2, broken: false }));
    expect(r.ok).toBe(false);
    expect(r.text).toContain("kafka: FAIL 5/5, 2 skipped (2 unexpected)");
  });

  it("a missing cell and a failed test still fail", () => {
    expect(fullGrid((g) => g.get("query")!.delete("athena")).ok).toBe(false);
    expect(
      fullGrid((g) => g.get("search")!.set("embedded", { passed: 3, failed: 1, skipped: 0, broken: false })).ok,
    ).toBe(false);
  });
});
