// The SDK as a package, before it leaves the repository: it builds, its public surface equals
// the committed API report, its declarations stand alone (nothing resolves into this
// monorepo), its bundles fit the size budget the README states, and publint finds nothing.
// Hermetic: esbuild, tsc, API Extractor and publint all come from node_modules.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { publint } from "publint";
import { beforeAll, describe, expect, it } from "vitest";
import { API_ENTRIES, extractApi, importsOf, root } from "../scripts/api.ts";
import { measure } from "../scripts/size.ts";

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  private?: boolean;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  peerDependencies: Record<string, string>;
  dependencies?: Record<string, string>;
  publishConfig?: { access?: string };
};

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.ts")], { cwd: root, encoding: "utf8" });
  expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
}, 180_000);

describe("the player SDK package", () => {
  it("is publishable: not private, public access, hls.js a peer, no runtime dependencies", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.publishConfig?.access).toBe("public");
    expect(pkg.peerDependencies["hls.js"]).toBeDefined();
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it("every export and every listed file exists after the build", () => {
    for (const [name, target] of Object.entries(pkg.exports)) {
      const paths = typeof target === "string" ? [target] : [target.types, target.default];
      for (const p of paths) expect(existsSync(join(root, p)), `${name} → ${p}`).toBe(true);
    }
    for (const f of pkg.files) expect(existsSync(join(root, f)), f).toBe(true);
  });

  it("its public surface equals the committed API report (player-sdk/etc/*.api.md)", () => {
    for (const r of extractApi(false)) {
      expect(r.errors, r.name).toEqual([]);
      expect(r.reportChanged, `${r.name}: run npm run build -w player-sdk -- --update-api`).toBe(false);
    }
  });

  it("its declarations are self-contained: they import nothing but hls.js", () => {
    for (const e of API_ENTRIES) {
      expect(
        importsOf(e.rollup).filter((m) => m !== "hls.js"),
        e.rollup,
      ).toEqual([]);
      expect(readFileSync(join(root, e.rollup), "utf8")).not.toContain("@reeltime/");
    }
    for (const f of ["dist/esm/index.js", "dist/esm/hls.js", "dist/esm/clicks.js"])
      expect(readFileSync(join(root, f), "utf8"), f).not.toMatch(/from\s*["']@reeltime\//);
  });

  it("fits its size budget, and the README states the measured size", () => {
    const rows = measure(root);
    for (const r of rows)
      expect(r.gzip, `${r.file}: ${r.gzip} B gzip, budget ${r.budget} B`).toBeLessThanOrEqual(r.budget);
    const core = rows.find((r) => r.file === "dist/iife/reeltime.min.js")!;
    const kb = Math.round(core.gzip / 1024);
    for (const readme of [join(root, "..", "README.md"), join(root, "README.md")])
      expect(readFileSync(readme, "utf8"), readme).toContain(`${kb} KB min+gzip`);
  });

  it("publint (strict) finds nothing", async () => {
    const { messages } = await publint({ pkgDir: root, strict: true, pack: false });
    expect(messages).toEqual([]);
  });
});
