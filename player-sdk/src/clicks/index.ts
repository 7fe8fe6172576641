export { type ClickOptions, type ClickPluginOptions, clickPlugin, trackClick } from "./clicks.ts";
export { dataAttributes, elementLabel, elementPath } from "./element-path.ts";
