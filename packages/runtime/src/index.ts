export { ConnectionEnv, describeEnv, loadEnv, SECRET_VARS } from "./config.ts";
export { ReeltimeError, unavailable } from "./errors.ts";
