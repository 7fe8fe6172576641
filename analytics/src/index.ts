export { type CompactOptions, type CompactReport, compact, hourEnd } from "./compact/compact.ts";
export { type Fingerprint, ParquetMerger } from "./compact/merge.ts";
export { compactedName, parseName, splitSuperseded } from "./compact/names.ts";
export { visibleArchive } from "./compact/visible.ts";
export { athenaStatements, duckdbStatements } from "./ddl.ts";
export { FORMATS, type Format, formatResult } from "./format.ts";
export { checkCost } from "./guard.ts";
export {
  bindParams,
  loadNamedQueries,
  type NamedQuery,
  namedQuery,
  parseNamedQuery,
  parseParams,
  QUERIES_DIR,
} from "./queries/catalog.ts";
export { codeOnly, hasPartitionFilter, placeholderClauses, placeholders } from "./queries/sql.ts";
export { type QueryRun, runQuery } from "./run.ts";
export { applyDdl, type EngineName, openSession, type Session, TABLES } from "./session.ts";
