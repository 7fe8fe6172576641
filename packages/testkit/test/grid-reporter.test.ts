import { describe, expect, it } from "vitest";
import { type Cell, CONFORMANCE_SUITE, EXPECTED_GRID, renderGrid } from "../src/grid-reporter.ts";

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

describe("connector grid: one cell per server major", () => {
  it("names a suite run against a server major as a cell of its own", () => {
    expect(CONFORMANCE_SUITE.exec("SearchStore conformance: elasticsearch 9")?.slice(1)).toEqual([
      "SearchStore",
      "elasticsearch 9",
    ]);
    expect(CONFORMANCE_SUITE.exec("Bus conformance: kafka-platformatic")?.[2]).toBe("kafka-platformatic");
    expect(CONFORMANCE_SUITE.exec("SearchStore conformance: elasticsearch nine")).toBeNull();
  });

  it("expects both Elasticsearch majors: a grid without the 9 cell fails", () => {
    expect(EXPECTED_GRID.search).toEqual(expect.arrayContaining(["elasticsearch 8", "elasticsearch 9"]));
    const r = fullGrid((g) => g.get("search")!.delete("elasticsearch 9"));
    expect(r.ok).toBe(false);
    expect(r.text).toContain("elasticsearch 9: not run");
  });
});
