import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

/** The Helm chart's alert rules file, where `dashboards export` keeps the generated rules. */
export function chartAlertRules(): string {
  const deploy = dirname(fileURLToPath(import.meta.resolve("@reeltime/deploy/package.json")));
  return join(deploy, "helm", "reeltime", "files", "alerts.yml");
}

/** `reeltime dashboards export | import`: Grafana dashboards + provisioning and Kibana saved objects, generated from code. */
export function registerDashboards(program: Command): void {
  const dashboards = program
    .command("dashboards")
    .description("Grafana dashboards and provisioning, Kibana saved objects: export them or push them to servers");

  dashboards
    .command("export")
    .description("write the generated dashboards (default: dashboards/generated, the committed copy)")
    .option("--out <dir>", "output folder")
    .option("--check", "only check that the folder holds exactly what the code generates (exit 1 if not)")
    .action(async (opts: { out?: string; check?: boolean }) => {
      const { exportDashboards, GENERATED_DIR } = await import("@reeltime/dashboards");
      const dir = opts.out ? resolve(opts.out) : GENERATED_DIR;
      // The committed alert rules live in the Helm chart (it ships them as its PrometheusRule).
      const r = await exportDashboards(
        dir,
        opts.check ?? false,
        dir === GENERATED_DIR ? { alertRules: chartAlertRules() } : {},
      );
      const changed = [...r.missing, ...r.stale, ...(opts.check ? r.extra : [])];
      if (opts.check) {
        if (changed.length === 0) return void process.stdout.write(`dashboards in ${dir} are current\n`);
        for (const f of r.missing) process.stdout.write(`missing: ${f}\n`);
        for (const f of r.stale) process.stdout.write(`stale:   ${f}\n`);
        for (const f of r.extra) process.stdout.write(`extra:   ${f}\n`);
        throw new ReeltimeError(
          "REELTIME_ERR_GENERATED_STALE",
          `${changed.length} dashboard file(s) differ from the code; run \`reeltime dashboards export\` and commit`,
        );
      }
      for (const f of r.written) process.stdout.write(`wrote ${f}\n`);
      for (const f of r.extra) process.stdout.write(`not generated (left alone): ${f}\n`);
      process.stdout.write(
        r.written.length === 0
          ? `dashboards in ${dir} already current\n`
          : `${r.written.length} file(s) written to ${dir}\n`,
      );
    });

  dashboards
    .command("import")
    .description(
      "push the dashboards to running servers: Kibana saved objects (POST /api/saved_objects/_import, overwrite) and " +
        "Grafana dashboards (POST /api/dashboards/db into folder reeltime). Credentials from env: " +
        "REELTIME_KIBANA_API_KEY or REELTIME_KIBANA_USERNAME/_PASSWORD, REELTIME_GRAFANA_TOKEN or REELTIME_GRAFANA_USERNAME/_PASSWORD",
    )
    .option("--kibana <url>", "Kibana base URL (a space: http://host:5601/s/<space>)")
    .option("--grafana <url>", "Grafana base URL")
    .action(async (opts: { kibana?: string; grafana?: string }) => {
      const { importDashboards } = await import("@reeltime/dashboards");
      const r = await importDashboards(opts);
      if (r.kibana) process.stdout.write(`kibana: ${r.kibana.imported} saved objects imported\n`);
      if (r.grafana) process.stdout.write(`grafana: dashboards ${r.grafana.dashboards.join(", ")} saved\n`);
    });
}
