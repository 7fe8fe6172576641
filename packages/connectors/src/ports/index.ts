export type * from "./archive.ts";
export type * from "./bus.ts";
export type * from "./common.ts";
export type * from "./query.ts";
export type * from "./search.ts";
