import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Import cycles are refused by Biome's noImportCycles in `biome ci .` (the lint step of
// `npm test`, which .ci/run runs). This checks the repo's configuration still does that,
// including for cycles made only of `import type` (app.ts and its routes had one), and that
// the exemptions stay the ones listed here.
const ROOT = resolve(import.meta.dirname, "../../..");
const BIOME = join(ROOT, "node_modules", "@biomejs", "biome", "bin", "biome");
const config = JSON.parse(readFileSync(join(ROOT, "biome.json"), "utf8")) as {
  linter: { rules: Record<string, Record<string, unknown>> };
  overrides?: { includes: string[]; linter?: { rules?: { suspicious?: { noImportCycles?: unknown } } } }[];
};

/** Files exempt from the rule until their cycle is broken (each needs a reason in the commit). */
const EXEMPT: string[] = [];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Lints `files` in a fresh folder with the repo's linter rules; returns the exit code and output. */
function lint(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "reeltime-cycles-"));
  dirs.push(dir);
  writeFileSync(join(dir, "biome.json"), JSON.stringify({ linter: config.linter }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const res = spawnSync(process.execPath, [BIOME, "lint", "--max-diagnostics=50", "."], { cwd: dir, encoding: "utf8" });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe("import cycles", () => {
  it("the rule is an error and counts type-only imports", () => {
    expect(config.linter.rules.suspicious?.noImportCycles).toEqual({
      level: "error",
      options: { ignoreTypes: false },
    });
  });

  it("a cycle of a value import and a type import fails the lint; the same files without it pass", () => {
    const cyclic = lint({
      "app.ts": 'import { route } from "./route.ts";\nexport interface Ctx { n: number }\nexport const app = route;\n',
      "route.ts": 'import type { Ctx } from "./app.ts";\nexport const route = (c: Ctx) => c.n;\n',
    });
    expect(cyclic.status, cyclic.output).not.toBe(0);
    expect(cyclic.output).toContain("noImportCycles");
    const oneWay = lint({
      "ctx.ts": "export interface Ctx { n: number }\n",
      "app.ts": 'import { route } from "./route.ts";\nexport const app = route;\n',
      "route.ts": 'import type { Ctx } from "./ctx.ts";\nexport const route = (c: Ctx) => c.n;\n',
    });
    expect(oneWay.status, oneWay.output).toBe(0);
  });

  it("only the listed files are exempt", () => {
    const exempt = (config.overrides ?? [])
      .filter((o) => o.linter?.rules?.suspicious?.noImportCycles !== undefined)
      .flatMap((o) => o.includes);
    expect(exempt.sort()).toEqual([...EXEMPT].sort());
  });
});
