// Measures the browser bundles (min+gzip) and fails when one is over its budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Budgets in bytes, min+gzip, for the bundles a page loads. */
export const BUDGETS: Record<string, number> = {
  "dist/iife/reeltime.min.js": 8 * 1024,
  "dist/iife/reeltime-hls.min.js": 3 * 1024,
  "dist/iife/reeltime-clicks.min.js": 2 * 1024,
};

export interface SizeRow {
  file: string;
  min: number;
  gzip: number;
  budget: number;
  ok: boolean;
}

export function measure(root: string): SizeRow[] {
  return Object.entries(BUDGETS).map(([file, budget]) => {
    const bytes = readFileSync(join(root, file));
    const gzip = gzipSync(bytes, { level: 9 }).length;
    return { file, min: bytes.length, gzip, budget, ok: gzip <= budget };
  });
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
