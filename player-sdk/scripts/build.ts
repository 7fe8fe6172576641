// Builds the browser SDK: ESM (tree-shakeable) and minified IIFE bundles, published types,
// then checks the size budget. `npm run build -w player-sdk`.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { measure, report } from "./size.ts";

const root = join(import.meta.dirname, "..");
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

const entries = [
  { in: "src/index.ts", esm: "dist/esm/index.js", iife: "dist/iife/reeltime.min.js", global: "Reeltime" },
  {
    in: "src/clicks/index.ts",
    esm: "dist/esm/clicks.js",
    iife: "dist/iife/reeltime-clicks.min.js",
    global: "ReeltimeClicks",
  },
  { in: "src/hls/index.ts", esm: "dist/esm/hls.js", iife: "dist/iife/reeltime-hls.min.js", global: "ReeltimeHls" },
];

function typesForPublishing(): void {
  const res = spawnSync("tsc", ["-b"], { cwd: root, stdio: "inherit" });
  if (res.status !== 0) throw new Error("tsc -b failed");
  // tsc keeps `.ts` in declaration import paths; published types point at the `.js` twins.
  const from = join(root, "dist/types/src");
  const to = join(root, "dist/dts");
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  for (const file of walk(from).filter((f) => f.endsWith(".d.ts"))) {
    const out = join(to, relative(from, file));
    mkdirSync(dirname(out), { recursive: true });
    const text = readFileSync(file, "utf8").replace(/((?:from |import\()["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2");
    writeFileSync(out, text);
  }
}

rmSync(join(root, "dist/esm"), { recursive: true, force: true });
rmSync(join(root, "dist/iife"), { recursive: true, force: true });
rmSync(join(root, "dist/dts"), { recursive: true, force: true });
for (const e of entries) {
  await build({ ...common, entryPoints: [e.in], outfile: e.esm, format: "esm" });
  await build({ ...common, entryPoints: [e.in], outfile: e.iife, format: "iife", globalName: e.global, minify: true });
}
typesForPublishing();
if (!report(measure(root))) {
  process.stderr.write("size budget exceeded: trim the bundle or raise the budget in player-sdk/scripts/size.ts\n");
  process.exit(1);
}
