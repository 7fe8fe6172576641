// What other workspaces import from dashboards, nothing more; its tests import the modules they exercise.
export { exportDashboards, GENERATED_DIR } from "./export.ts";
export { importDashboards } from "./import.ts";
export { type Datasource, grafanaEsRequest } from "./query/grafana-es.ts";
export { rowsOf } from "./query/plan.ts";
