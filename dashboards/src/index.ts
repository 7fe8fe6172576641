export { type ExportReport, exportDashboards, GENERATED_DIR, renderAll } from "./export.ts";
export { esTarget, grafanaDashboard } from "./grafana/dashboard.ts";
export { dashboardsYaml, datasourcesYaml, GRAFANA_DASHBOARDS_PATH } from "./grafana/provisioning.ts";
export { type ImportOptions, type ImportReport, importDashboards } from "./import.ts";
export { kibanaNdjson, kibanaSavedObjects, type SavedObject } from "./kibana/saved-objects.ts";
export { DASHBOARDS, luceneOf, panelsOf } from "./spec/index.ts";
export { PROMETHEUS_UID, SOURCES } from "./spec/sources.ts";
export type * from "./spec/types.ts";
