export { type DownOptions, down, type ServiceDownResult } from "./local/down.ts";
export {
  AWS_ENDPOINT,
  CHROMIUM,
  type Endpoints,
  endpointsFromEnv,
  LOCAL_ENDPOINTS,
  localServicesEnv,
} from "./local/endpoints.ts";
export { INFRA_ERRORS } from "./local/errors.ts";
export { DEBIAN_PACKAGES, type DebianPackage, ensureDebianPackages } from "./local/install/apt.ts";
export { formatStatusTable } from "./local/report.ts";
export {
  DEFAULT_SCRAPE_TARGETS,
  type ScrapeTarget,
  scrapeTargetsDir,
  writeScrapeTargets,
} from "./local/scrape-targets.ts";
export { collectorTracesFile } from "./local/services/otelcol.ts";
export { SERVICE_NAMES, type ServiceName } from "./local/services/types.ts";
export { type InfraSettings, loadSettings } from "./local/settings.ts";
export { type ServiceStatus, status } from "./local/status.ts";
export { type ServiceUpResult, type UpOptions, type UpResult, up } from "./local/up.ts";
export { VERSIONS } from "./local/versions.ts";
