import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { grafanaDashboard } from "./grafana/dashboard.ts";
import { dashboardsYaml, datasourcesYaml } from "./grafana/provisioning.ts";
import { kibanaNdjson } from "./kibana/saved-objects.ts";
import { alertRulesYaml } from "./prometheus/rules.ts";
import { DASHBOARDS } from "./spec/index.ts";

/** Where the committed output lives: dashboards/generated. */
export const GENERATED_DIR = fileURLToPath(new URL("../generated", import.meta.url));

/** The alert rules' path among the generated files. */
export const ALERT_RULES_PATH = "prometheus/alerts.yml";
/**
 * Where a generated file goes: under `outDir`, except the alert rules when `alertRules` names
 * their file (the committed copy lives in the Helm chart, which can only ship files inside
 * itself; `reeltime dashboards export` passes that path).
 */
const targetOf = (outDir: string, path: string, alertRules?: string) =>
  alertRules !== undefined && path === ALERT_RULES_PATH ? alertRules : join(outDir, path);

/** Every generated file by path relative to the output folder. */
export function renderAll(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of DASHBOARDS)
    files.set(`grafana/dashboards/${d.uid}.json`, `${JSON.stringify(grafanaDashboard(d), null, 2)}\n`);
  files.set("grafana/provisioning/datasources/reeltime.yaml", datasourcesYaml());
  files.set("grafana/provisioning/dashboards/reeltime.yaml", dashboardsYaml());
  files.set("kibana/reeltime.ndjson", kibanaNdjson());
  files.set(ALERT_RULES_PATH, alertRulesYaml());
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
export async function exportDashboards(
  outDir: string = GENERATED_DIR,
  check = false,
  opts: { alertRules?: string } = {},
): Promise<ExportReport> {
  const files = renderAll();
  const report: ExportReport = { written: [], missing: [], stale: [], extra: [] };
  for (const [path, content] of files) {
    const target = targetOf(outDir, path, opts.alertRules);
    const current = await readFile(target, "utf8").catch(() => undefined);
    if (current === content) continue;
    // Named as where it is: the alert rules' path leads out to the chart.
    const name = relative(outDir, target);
    (current === undefined ? report.missing : report.stale).push(name);
    if (check) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    report.written.push(name);
  }
  for (const path of await listFiles(outDir))
    if (!files.has(path) || targetOf(outDir, path, opts.alertRules) !== join(outDir, path)) report.extra.push(path);
  return report;
}
