import { healthDashboard } from "./health.ts";
import { liveDashboard } from "./live.ts";
import { pipelineDashboard } from "./pipeline.ts";
import { qoeDashboard } from "./qoe.ts";
import type { DashboardSpec, Panel } from "./types.ts";

/** Every dashboard, in a stable order. */
export const DASHBOARDS: readonly DashboardSpec[] = [qoeDashboard, pipelineDashboard, healthDashboard, liveDashboard];

/** Every panel of a dashboard, in layout order. */
export const panelsOf = (d: DashboardSpec): Panel[] => d.rows.flatMap((r) => r.panels);

/** The Lucene query a panel runs, with the app filter the dashboard variable adds. */
export function luceneOf(p: { query: string; appScoped: boolean }, app: string): string {
  if (!p.appScoped) return p.query;
  return p.query === "*" ? `app_id:${app}` : `app_id:${app} AND (${p.query})`;
}
