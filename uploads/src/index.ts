// What other workspaces import from the upload API, nothing more: the CLI's command and settings.
export { UploadsEnv } from "./config.ts";
export { startUploads } from "./server.ts";
