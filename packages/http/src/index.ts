export { keyId, SecretRing } from "./auth.ts";
export { APP_ID, anyOriginAllowed, appSecrets, corsOrigins, originAllowed } from "./config.ts";
export { errorHandler } from "./error-handler.ts";
export { type ApiErrorBody, clientErrorResponse, sendError } from "./errors.ts";
