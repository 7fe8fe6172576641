// What other workspaces import from @reeltime/query-duckdb: the engine that @reeltime/connectors'
// createQueryEngine loads when REELTIME_QUERY=duckdb (query-athena's tests emulate Athena on it).
export { createDuckDbEngine } from "./duckdb-engine.ts";
