import type { ErrorCode } from "@reeltime/runtime";

/** Stable codes of the errors `reeltime infra` raises; each message says what to do. */
export const INFRA_ERRORS = {
  portTaken: "REELTIME_ERR_PORT_TAKEN",
  download: "REELTIME_ERR_DOWNLOAD",
  build: "REELTIME_ERR_BUILD",
  health: "REELTIME_ERR_HEALTH",
  exited: "REELTIME_ERR_SERVICE_EXITED",
  missingTool: "REELTIME_ERR_MISSING_TOOL",
  apt: "REELTIME_ERR_APT",
  up: "REELTIME_ERR_INFRA_UP",
  stop: "REELTIME_ERR_INFRA_DOWN",
  provision: "REELTIME_ERR_PROVISION",
} as const satisfies Record<string, ErrorCode>;
