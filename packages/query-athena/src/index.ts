// What other workspaces import from @reeltime/query-athena: the engine that @reeltime/connectors'
// createQueryEngine loads when REELTIME_QUERY=athena.
export { createAthenaEngine } from "./athena-engine.ts";
