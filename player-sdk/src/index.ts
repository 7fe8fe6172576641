export type * from "./contract.ts";
export type { DeliveryStats } from "./delivery/delivery.ts";
export { type EventStore, keyValueStore, memoryStore } from "./delivery/store.ts";
// The wire types by name, so pages can type what they read back (README: "PlaybackEvent, ClickEvent").
export type { ClickEvent, EventOf, PlaybackEvent } from "./generated/wire.ts";
export { browserPlatform, type KeyValueStore, type LockManagerLike, type Platform } from "./platform/platform.ts";
export { createTracker } from "./tracker.ts";
export type * from "./types.ts";
export {
  computeMetrics,
  qualityScore,
  smoothnessScore,
  startupScore,
  upscale,
  type ViewMetrics,
  type ViewTotals,
} from "./view/metrics.ts";
