export { type CmcdOptions, cmcdConfig } from "./cmcd.ts";
export { type HlsPluginOptions, hlsPlugin } from "./hls-plugin.ts";
export { type LevelLike, renditionOf } from "./rendition.ts";
export { requestOf, type StatsLike } from "./requests.ts";
