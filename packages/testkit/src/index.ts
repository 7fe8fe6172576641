// What other workspaces' tests import from testkit, nothing more.

export { closedPort } from "./closed-port.ts";
export { archiveConformance, payload } from "./conformance/archive.ts";
export { busConformance } from "./conformance/bus.ts";
export { queryConformance } from "./conformance/query.ts";
export { searchConformance } from "./conformance/search.ts";
export {
  type AthenaBackend,
  type AthenaBackendResult,
  athenaBackendOnTrino,
  athenaService,
} from "./doubles/athena-service.ts";
export { MemoryArchive, RecordingArchive, RecordingBus } from "./doubles/memory.ts";
export { SwitchableBus } from "./doubles/switchable-bus.ts";
export { parquetOf, SLOW_SQL, TRINO_SLOW_SQL } from "./parquet.ts";
export { startTcpProxy } from "./tcp-proxy.ts";
