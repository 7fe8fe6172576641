import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Helm chart's alert rules: the committed copy of the generated rules (see export.ts). */
export const CHART_ALERT_RULES = join(
  dirname(fileURLToPath(import.meta.resolve("@reeltime/deploy/package.json"))),
  "helm",
  "reeltime",
  "files",
  "alerts.yml",
);
