export { createArchive, createBus, createQueryEngine, createSearchStore } from "./factory.ts";
export type * from "./ports/index.ts";
