import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type InfraSettings, loadSettings } from "./settings.ts";

/** One /metrics endpoint for Prometheus to scrape, with labels such as `service`. */
export interface ScrapeTarget {
  address: string;
  labels?: Record<string, string>;
}

/** What reeltime's processes listen on by default: ingest on 8080, processors on 9464-9467. */
export const DEFAULT_SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { address: "127.0.0.1:8080", labels: { service: "ingest" } },
  ...[0, 1, 2, 3].map((i) => ({ address: `127.0.0.1:${9464 + i}`, labels: { service: "processor", slot: String(i) } })),
];

/** Folder Prometheus watches for `*.json` file_sd files. */
export function scrapeTargetsDir(stateDir: string): string {
  return join(stateDir, "prometheus", "targets");
}

/** Renders targets as a file_sd JSON document: one group per distinct label set. */
export function renderFileSd(targets: readonly ScrapeTarget[]): string {
  const groups = new Map<string, { targets: string[]; labels: Record<string, string> }>();
  for (const t of targets) {
    const labels = t.labels ?? {};
    const key = JSON.stringify(Object.entries(labels).sort());
    const group = groups.get(key) ?? { targets: [], labels };
    group.targets.push(t.address);
    groups.set(key, group);
  }
  return `${JSON.stringify([...groups.values()], null, 2)}\n`;
}

/**
 * Writes (atomically) `<stateDir>/prometheus/targets/<name>.json`; Prometheus picks it up within
 * seconds, no restart. Use one name per component, e.g. `writeScrapeTargets("bench", [...])`.
 */
export function writeScrapeTargets(
  name: string,
  targets: readonly ScrapeTarget[],
  settings: InfraSettings = loadSettings(),
): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`invalid scrape target file name: ${name}`);
  const dir = scrapeTargetsDir(settings.stateDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(`${file}.tmp`, renderFileSd(targets));
  renameSync(`${file}.tmp`, file);
  return file;
}
