// The SDK as a package, before it leaves the repository: it builds, its public surface equals
// the committed API report, its declarations stand alone (nothing resolves into this
// monorepo), its bundles fit the size budget the README states, and publint finds nothing.
// Hermetic: esbuild, tsc, API Extractor and publint all come from node_modules.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { publint } from "publint";
import { beforeAll, describe, expect, it } from "vitest";
import { API_ENTRIES, extractApi, importsOf, root } from "../scripts/api.ts";
import { BUDGETS, CORE, measure, statedKb } from "../scripts/size.ts";

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  private?: boolean;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  peerDependencies: Record<string, string>;
  dependencies?: Record<string, string>;
  publishConfig?: { access?: string; provenance?: boolean };
  license?: string;
  repository?: { type: string; url: string; directory?: string };
};

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.ts")], { cwd: root, encoding: "utf8" });
  expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
}, 180_000);

describe("the player SDK package", () => {
  it("is publishable: not private, public access with provenance, hls.js a peer, no runtime dependencies", () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.publishConfig).toEqual({ access: "public", provenance: true });
    // Provenance is checked against the repository (and folder) the package says it comes from.
    expect(pkg.repository).toMatchObject({ type: "git", directory: "player-sdk" });
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    expect(pkg.license).toBe("Apache-2.0");
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
    // An IIFE runs without a module loader: a left-over external would be a require() call.
    for (const f of ["reeltime.min.js", "reeltime-hls.min.js", "reeltime-clicks.min.js"])
      expect(readFileSync(join(root, "dist", "iife", f), "utf8"), f).not.toMatch(/\brequire\(|@reeltime\//);
  });

  it("fits its size budget (ESM minified and IIFE, min+gzip), and the READMEs state the measured size", () => {
    const rows = measure(root);
    expect(rows.map((r) => r.file).sort()).toEqual(Object.keys(BUDGETS).sort());
    for (const r of rows)
      expect(r.gzip, `${r.file}: ${r.gzip} B gzip, budget ${r.budget} B`).toBeLessThanOrEqual(r.budget);
    // The core ESM entry, minified (not just gzipped as built) and gzipped here on its own.
    const core = rows.find((r) => r.file === CORE)!;
    const built = readFileSync(join(root, CORE));
    expect(core.min).toBeLessThan(built.length * 0.8);
    expect(core.gzip).toBeLessThan(gzipSync(built, { level: 9 }).length);
    const kb = statedKb(rows);
    expect(kb).toBe(Math.round(core.gzip / 1024));
    for (const readme of [join(root, "..", "README.md"), join(root, "README.md")]) {
      const stated = [...readFileSync(readme, "utf8").matchAll(/(\d+(?:\.\d+)?) KB min\+gzip/g)].map((m) =>
        Number(m[1]),
      );
      expect(stated.length, `${readme} states the SDK size`).toBeGreaterThan(0);
      expect(stated, `${readme}: measured ${(core.gzip / 1024).toFixed(2)} KB`).toEqual(stated.map(() => kb));
    }
  });

  it("the budget check fails a bundle above its budget", () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-sdk-size-"));
    try {
      mkdirSync(join(dir, "dist", "esm"), { recursive: true });
      // Random bytes do not compress: about 3 KB gzip against a 2 KB budget.
      const big = `export const blob = "${randomBytes(2300).toString("base64")}";\n`;
      writeFileSync(join(dir, "dist", "esm", "big.js"), big);
      writeFileSync(join(dir, "dist", "esm", "small.js"), "export const x = 1;\n");
      const [over, under] = measure(dir, { "dist/esm/big.js": 2048, "dist/esm/small.js": 2048 });
      expect(over).toMatchObject({ ok: false });
      expect(over!.gzip).toBeGreaterThan(2048);
      expect(under).toMatchObject({ ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the README's CDN URLs name files the package ships, at a published version shape", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const urls = [
      ...readme.matchAll(
        /https:\/\/(?:cdn\.jsdelivr\.net\/npm|unpkg\.com)\/@reeltime\/player-sdk@([^/\s]+)\/([^\s"')`]+)/g,
      ),
    ];
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const [url, version, file] of urls) {
      expect(version, url).toMatch(/^(\d+\.\d+\.\d+|<version>)$/);
      if (file!.includes("<file>")) continue;
      expect(existsSync(join(root, file!)), url).toBe(true);
      expect(
        pkg.files.some((f) => file === f || file!.startsWith(`${f}/`)),
        `${url}: ${file} is not in "files"`,
      ).toBe(true);
    }
  });

  it("publint (strict) finds nothing", async () => {
    const { messages } = await publint({ pkgDir: root, strict: true, pack: false });
    expect(messages).toEqual([]);
  });
});
