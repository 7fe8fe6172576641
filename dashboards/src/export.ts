import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { grafanaDashboard } from "./grafana/dashboard.ts";
import { dashboardsYaml, datasourcesYaml } from "./grafana/provisioning.ts";
import { kibanaNdjson } from "./kibana/saved-objects.ts";
import { DASHBOARDS } from "./spec/index.ts";

/** Where the committed output lives: dashboards/generated. */
export const GENERATED_DIR = fileURLToPath(new URL("../generated", import.meta.url));

/** Every generated file by path relative to the output folder. */
export function renderAll(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of DASHBOARDS)
    files.set(`grafana/dashboards/${d.uid}.json`, `${JSON.stringify(grafanaDashboard(d), null, 2)}\n`);
  files.set("grafana/provisioning/datasources/reeltime.yaml", datasourcesYaml());
  files.set("grafana/provisioning/dashboards/reeltime.yaml", dashboardsYaml());
  files.set("kibana/reeltime.ndjson", kibanaNdjson());
  return files;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

export interface ExportReport {
  written: string[];
  missing: string[];
  stale: string[];
  extra: string[];
}

/** Writes every file into `outDir` (only those that changed), or with `check` only compares. */
export async function exportDashboards(outDir: string = GENERATED_DIR, check = false): Promise<ExportReport> {
  const files = renderAll();
  const report: ExportReport = { written: [], missing: [], stale: [], extra: [] };
  for (const [path, content] of files) {
    const target = join(outDir, path);
    const current = await readFile(target, "utf8").catch(() => undefined);
    if (current === content) continue;
    (current === undefined ? report.missing : report.stale).push(path);
    if (check) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    report.written.push(path);
  }
  for (const path of await listFiles(outDir)) if (!files.has(path)) report.extra.push(path);
  return report;
}
