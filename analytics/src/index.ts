// What other workspaces import from analytics, nothing more; its tests import the modules they exercise.
export { compact } from "./compact/compact.ts";
export { athenaStatements, duckdbStatements, trinoDdlStatements } from "./ddl.ts";
export { formatResult } from "./format.ts";
export { bindParams, loadNamedQueries, namedQuery, parseParams } from "./queries/catalog.ts";
export { runQuery } from "./run.ts";
export { applyDdl, openSession } from "./session.ts";
