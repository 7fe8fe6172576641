export { ReeltimeError } from "./errors.ts";
