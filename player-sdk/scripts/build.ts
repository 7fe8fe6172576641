// Builds the browser SDK: ESM (tree-shakeable) and minified IIFE bundles, published types,
// then checks the size budget. `npm run build -w player-sdk`.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { extractApi } from "./api.ts";
import { buildBundles, root } from "./bundles.ts";
import { measure, report } from "./size.ts";

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

// Bundles are rewritten in place (a running dev server or test may be serving them); only the
// intermediate declarations are cleared.
rmSync(join(root, "dist/dts"), { recursive: true, force: true });
await buildBundles(join(root, "dist"));
typesForPublishing();
// One self-contained declaration file per entry point, and the public surface against etc/*.api.md.
const api = extractApi(process.argv.includes("--update-api"));
for (const r of api) for (const e of r.errors) process.stderr.write(`${r.name}: ${e}\n`);
if (api.some((r) => !r.ok)) {
  process.stderr.write(
    "the SDK's public API differs from player-sdk/etc/*.api.md: review the change, then run `npm run build -w player-sdk -- --update-api` and commit the reports\n",
  );
  process.exit(1);
}
if (!report(measure(root))) {
  process.stderr.write("size budget exceeded: trim the bundle or raise the budget in player-sdk/scripts/size.ts\n");
  process.exit(1);
}
