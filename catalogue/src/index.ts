// What other workspaces import from the catalogue, nothing more.
export { MIGRATIONS, OWNER } from "./migrations.ts";
export { type CatalogueRoutesOptions, catalogueRoutes, MAX_LIMIT } from "./routes.ts";
export { type CatalogueServiceDeps, openCatalogueDatabase, startCatalogueUpdater } from "./service.ts";
export { type CatalogueRow, getVideo } from "./store.ts";
export {
  type CatalogueDeps,
  CatalogueUpdater,
  catalogueUpdater,
  migrateCatalogue,
  type VideoIndex,
  type VideoRecordArchive,
} from "./updater.ts";
