import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Project standard: every workspace has a README.md that says what it owns, its entry points,
// its ports and how to run its tests. This checks the floor: the file exists and is not a stub.
const ROOT = resolve(import.meta.dirname, "../../..");
const MIN_LINES = 15;

const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] })
  .workspaces;

/** Non-empty lines of a README, or undefined when the file is missing. */
function readmeLines(dir: string): number | undefined {
  const file = join(ROOT, dir, "README.md");
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "").length;
}

describe("workspace READMEs", () => {
  it("the root package.json lists workspaces, each a directory with a package.json", () => {
    expect(workspaces.length).toBeGreaterThan(0);
    for (const w of workspaces) expect(existsSync(join(ROOT, w, "package.json")), w).toBe(true);
  });

  it.each(workspaces)(`%s has a README.md of at least ${MIN_LINES} non-empty lines`, (w) => {
    const lines = readmeLines(w);
    expect(lines, `${w}/README.md is missing`).toBeDefined();
    expect(lines, `${w}/README.md has ${lines} non-empty lines`).toBeGreaterThanOrEqual(MIN_LINES);
  });
});
