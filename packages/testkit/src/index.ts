export { type ArchiveHarness, archiveConformance, payload } from "./conformance/archive.ts";
export { type BusConformanceOptions, busConformance } from "./conformance/bus.ts";
export { type QueryHarness, queryConformance } from "./conformance/query.ts";
export { type SearchConformanceOptions, searchConformance } from "./conformance/search.ts";
export { MemoryArchive, RecordingArchive, RecordingBus } from "./doubles/memory.ts";
export { SwitchableBus } from "./doubles/switchable-bus.ts";
export { BASIC_SHELL_TOOLS, hermeticPath } from "./hermetic-path.ts";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";
