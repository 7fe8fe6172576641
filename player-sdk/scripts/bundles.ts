// The browser bundles: one definition shared by the build and the browser tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, build } from "esbuild";

export const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

const common: BuildOptions = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  // hls.js is an optional peer: only its types are used; never bundle it.
  external: ["hls.js", "@reeltime/events"],
  define: { __SDK_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
  logLevel: "warning",
  absWorkingDir: root,
};

export const entries = [
  { in: "src/index.ts", esm: "esm/index.js", iife: "iife/reeltime.min.js", global: "Reeltime" },
  { in: "src/clicks/index.ts", esm: "esm/clicks.js", iife: "iife/reeltime-clicks.min.js", global: "ReeltimeClicks" },
  { in: "src/hls/index.ts", esm: "esm/hls.js", iife: "iife/reeltime-hls.min.js", global: "ReeltimeHls" },
];

/** Writes the ESM and IIFE bundles under `outDir` (`dist` for the package). */
export async function buildBundles(outDir: string): Promise<void> {
  for (const e of entries) {
    await build({ ...common, entryPoints: [e.in], outfile: join(outDir, e.esm), format: "esm" });
    await build({
      ...common,
      entryPoints: [e.in],
      outfile: join(outDir, e.iife),
      format: "iife",
      globalName: e.global,
      minify: true,
    });
  }
}

// `node scripts/bundles.ts`: the browser bundles alone into dist/ (what `reeltime dev` serves).
if (import.meta.main) await buildBundles(join(root, "dist"));
