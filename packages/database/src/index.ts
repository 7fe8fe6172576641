// What other workspaces import from the database library, nothing more.
export type { Database, Migration } from "./database.ts";
export { migrate } from "./migrate.ts";
export { MEMORY_URL, openDatabase } from "./open.ts";
