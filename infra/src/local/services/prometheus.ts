import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { getJson, httpOk } from "../health.ts";
import { renderPrometheusYml } from "../render/prometheus-config.ts";
import { DEFAULT_SCRAPE_TARGETS, scrapeTargetsDir, writeScrapeTargets } from "../scrape-targets.ts";
import type { LocalService } from "./types.ts";

const PORT = 9090;
/** reeltime's alert rules, the same file the Helm chart ships as a PrometheusRule. */
export const ALERT_RULES = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "deploy",
  "helm",
  "reeltime",
  "files",
  "alerts.yml",
);
const BINARY = "/usr/bin/prometheus";

/** Prometheus from Debian's package, started by hand (no systemd), scraping reeltime via file_sd. */
export const prometheus: LocalService = {
  name: "prometheus",
  ports: [PORT],
  url: LOCAL_ENDPOINTS.prometheus.url,
  startTimeoutMs: 60_000,
  needsApt: true,

  async install() {
    // Installed with the other Debian packages before this runs.
    return false;
  },

  async prepare(ctx) {
    const data = join(ctx.dir, "data");
    const targets = scrapeTargetsDir(ctx.settings.stateDir);
    mkdirSync(data, { recursive: true });
    mkdirSync(targets, { recursive: true });
    const config = join(ctx.dir, "prometheus.yml");
    writeFileSync(
      config,
      renderPrometheusYml({
        selfAddress: `127.0.0.1:${PORT}`,
        targetsGlob: join(targets, "*.json"),
        scrapeIntervalSeconds: 5,
        ruleFiles: [ALERT_RULES],
      }),
    );
    if (!existsSync(join(targets, "reeltime.json")))
      writeScrapeTargets("reeltime", DEFAULT_SCRAPE_TARGETS, ctx.settings);
    return {
      command: BINARY,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${PORT}`,
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=7d",
      ],
      cwd: ctx.dir,
      env: { ...process.env },
    };
  },

  async probe() {
    const base = LOCAL_ENDPOINTS.prometheus.url;
    if (!(await httpOk(`${base}/-/ready`))) return { healthy: false };
    const info = await getJson<{ data: { version: string } }>(`${base}/api/v1/status/buildinfo`);
    return { healthy: true, version: info.data.version };
  },
};
