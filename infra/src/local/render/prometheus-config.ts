/** Inputs of the local Prometheus. */
export interface PrometheusConfigInput {
  selfAddress: string;
  /** Glob of file_sd target files reeltime writes. */
  targetsGlob: string;
  scrapeIntervalSeconds: number;
  /** Alert rule files to load (reeltime's own rules, the ones the Helm chart ships). */
  ruleFiles?: string[];
}

/** prometheus.yml: scrapes itself and every target listed in reeltime's file_sd files. */
export function renderPrometheusYml(c: PrometheusConfigInput): string {
  return [
    "global:",
    `  scrape_interval: ${c.scrapeIntervalSeconds}s`,
    `  evaluation_interval: ${c.scrapeIntervalSeconds}s`,
    ...(c.ruleFiles?.length ? ["rule_files:", ...c.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    "scrape_configs:",
    "  - job_name: prometheus",
    "    static_configs:",
    `      - targets: [${JSON.stringify(c.selfAddress)}]`,
    "  - job_name: reeltime",
    "    metrics_path: /metrics",
    "    file_sd_configs:",
    `      - files: [${JSON.stringify(c.targetsGlob)}]`,
    "        refresh_interval: 5s",
    "",
  ].join("\n");
}
