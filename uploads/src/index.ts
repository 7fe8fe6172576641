export { buildUploadsApp, type UploadsDeps } from "./app.ts";
export { DEFAULT_UPLOAD_TYPES, loadUploadsConfig, type UploadsConfig, UploadsEnv } from "./config.ts";
export { startUploads } from "./server.ts";
