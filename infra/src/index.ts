// What other workspaces import from infra, nothing more; its tests import the modules they exercise.
export { down } from "./local/down.ts";
export {
  CHROMIUM,
  elasticsearchMajors,
  endpointsFromEnv,
  LOCAL_ENDPOINTS,
  localServicesEnv,
} from "./local/endpoints.ts";
export { DEBIAN_PACKAGES, ensureDebianPackages } from "./local/install/apt.ts";
export { formatStatusTable } from "./local/report.ts";
export { writeScrapeTargets } from "./local/scrape-targets.ts";
export { edgeAccessLog, loadEdgeLogFields } from "./local/services/nginx.ts";
export { collectorTracesFile } from "./local/services/otelcol.ts";
export { localS3Client } from "./local/services/seaweedfs.ts";
export { SERVICE_NAMES, type ServiceName } from "./local/services/types.ts";
export { loadSettings } from "./local/settings.ts";
export { status } from "./local/status.ts";
export { up } from "./local/up.ts";
