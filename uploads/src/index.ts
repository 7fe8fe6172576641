// What other workspaces import from the upload API, nothing more: the CLI's command and settings,
// and the upload API on the embedded default for `reeltime dev`.
export { UploadsEnv } from "./config.ts";
export { uploadsOnArchive } from "./embedded.ts";
export { startUploads } from "./server.ts";
