// What other workspaces import from @reeltime/query-trino: the engine that @reeltime/connectors'
// createQueryEngine loads when REELTIME_QUERY=trino, and its statement runner and binding, which
// the tests of query-athena and analytics use to run Athena's requests on Trino the same way.
export { type TrinoSession, type TrinoStatement, type TrinoStatementResult, trinoStatement } from "./protocol.ts";
export { createTrinoEngine, executeWithLiterals, type TrinoEnv } from "./trino-engine.ts";
