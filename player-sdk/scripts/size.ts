// Measures the SDK's bundles min+gzip and fails when one is over its budget: the ESM entry
// points as a bundler would ship them (dist/esm/*.js minified by esbuild, hls.js left out),
// and the IIFE files a <script> tag loads as they are published (already minified).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { transformSync } from "esbuild";

/** Budgets in bytes, min+gzip, per entry point; the ESM and the IIFE build of one entry share it. */
export const BUDGETS: Record<string, number> = {
  "dist/esm/index.js": 8 * 1024,
  "dist/iife/reeltime.min.js": 8 * 1024,
  "dist/esm/hls.js": 3 * 1024,
  "dist/iife/reeltime-hls.min.js": 3 * 1024,
  "dist/esm/clicks.js": 2 * 1024,
  "dist/iife/reeltime-clicks.min.js": 2 * 1024,
};

/** The core's ESM entry: the figure the READMEs state as "N KB min+gzip". */
export const CORE = "dist/esm/index.js";

export interface SizeRow {
  file: string;
  /** Bytes after minification (the IIFE files are published minified). */
  min: number;
  gzip: number;
  budget: number;
  ok: boolean;
}

/** The file minified the way a production bundler would (esbuild, no bundling: its imports stay imports). */
export function minified(root: string, file: string): Buffer {
  const source = readFileSync(join(root, file), "utf8");
  if (!file.startsWith("dist/esm/")) return Buffer.from(source);
  return Buffer.from(transformSync(source, { minify: true, format: "esm", loader: "js", target: "es2022" }).code);
}

export function measure(root: string, budgets: Record<string, number> = BUDGETS): SizeRow[] {
  return Object.entries(budgets).map(([file, budget]) => {
    const bytes = minified(root, file);
    const gzip = gzipSync(bytes, { level: 9 }).length;
    return { file, min: bytes.length, gzip, budget, ok: gzip <= budget };
  });
}

/** The size the READMEs state: KB min+gzip of the core ESM entry, to the nearest whole KB. */
export function statedKb(rows: SizeRow[]): number {
  const core = rows.find((r) => r.file === CORE);
  if (!core) throw new Error(`${CORE} is not measured`);
  return Math.round(core.gzip / 1024);
}

export function report(rows: SizeRow[]): boolean {
  for (const r of rows)
    process.stdout.write(
      `${r.ok ? "✔" : "✘"} ${r.file.padEnd(32)} ${(r.min / 1024).toFixed(2).padStart(6)} KB min  ${(r.gzip / 1024).toFixed(2).padStart(5)} KB gzip  (budget ${(r.budget / 1024).toFixed(0)} KB)\n`,
    );
  return rows.every((r) => r.ok);
}

if (import.meta.main) {
  const ok = report(measure(join(import.meta.dirname, "..")));
  if (!ok) {
    process.stderr.write("size budget exceeded: trim the bundle or raise the budget in player-sdk/scripts/size.ts\n");
    process.exit(1);
  }
}
