// @reeltime/notifier: what other workspaces import (the ingest server mounts the endpoints
// plugin; the CLI starts the notifier and resends through `reeltime replay`; receivers verify).
export { DeliveryLoop } from "./deliveries.ts";
export { type EndpointsPluginOptions, endpointsPlugin, MAX_ENDPOINTS_PER_APP } from "./endpoints-api.ts";
export { NotifierProcessor } from "./processor.ts";
export { buildNotifier, NotifierEnv, openNotifierDatabase, runNotifierService, startNotifier } from "./service.ts";
export { MIGRATIONS_OWNER, NOTIFIER_MIGRATIONS, resendNotification, type Sql } from "./store.ts";
export { signWebhook, type VerifyResult, verifyWebhook, WEBHOOK_HEADERS } from "./webhooks/signing.ts";
