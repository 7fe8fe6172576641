import { sourceFields } from "../spec/fields.ts";
import { DASHBOARDS, panelsOf } from "../spec/index.ts";
import { SOURCES } from "../spec/sources.ts";
import type { DashboardSpec, DocsPanel, EsPanel, SourceName } from "../spec/types.ts";
import type {
  DashboardAttributes,
  IndexPatternAttributes,
  SearchAttributes,
  VisualizationAttributes,
} from "./schema.ts";
import { visState } from "./visualization.ts";

type Json = Record<string, unknown>;

export interface SavedObject {
  id: string;
  type: "index-pattern" | "visualization" | "search" | "dashboard";
  attributes: Json;
  references: { id: string; name: string; type: string }[];
  coreMigrationVersion: string;
  typeMigrationVersion: string;
  managed: boolean;
}

/** The oldest Kibana these objects are written for: their shapes are those of 8.x exports. */
const CORE = "8.8.0";
const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";

export const visId = (key: string) => `reeltime-vis-${key}`;
export const searchId = (key: string) => `reeltime-search-${key}`;
export const appControlId = (source: SourceName) => `reeltime-vis-app-control-${source}`;

const booleansOf = (source: SourceName) =>
  new Set([...sourceFields(source)].filter(([, type]) => type === "boolean").map(([f]) => f));

const FIELD_FORMATS: Partial<Record<SourceName, Json>> = {
  views: {
    rebuffer_ratio: { id: "percent" },
    startup_ms: { id: "duration", params: { inputFormat: "milliseconds", outputFormat: "humanizePrecise" } },
    avg_bitrate_bps: { id: "number", params: { pattern: "0,0.[0] a" } },
  },
};

function dataView(source: SourceName): SavedObject {
  const s = SOURCES[source];
  return {
    id: s.dataViewId,
    type: "index-pattern",
    attributes: {
      title: s.index,
      name: s.name,
      timeFieldName: s.timeField,
      fieldFormatMap: JSON.stringify(FIELD_FORMATS[source] ?? {}),
      allowHidden: false,
    } satisfies IndexPatternAttributes,
    references: [],
    coreMigrationVersion: CORE,
    typeMigrationVersion: "8.0.0",
    managed: false,
  };
}

const searchSource = (query: string) =>
  JSON.stringify({ query: { query, language: "lucene" }, filter: [], indexRefName: INDEX_REF });

function visualization(p: EsPanel): SavedObject {
  const s = SOURCES[p.source];
  const state = visState(p, s.timeField, booleansOf(p.source));
  return {
    id: visId(p.key),
    type: "visualization",
    attributes: {
      title: p.title,
      description: p.description,
      visState: JSON.stringify(state),
      uiStateJSON: "{}",
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(p.query) },
    } satisfies VisualizationAttributes,
    references: [{ id: s.dataViewId, name: INDEX_REF, type: "index-pattern" }],
    coreMigrationVersion: CORE,
    typeMigrationVersion: "8.5.0",
    managed: false,
  };
}

function savedSearch(p: DocsPanel): SavedObject {
  const s = SOURCES[p.source];
  return {
    id: searchId(p.key),
    type: "search",
    attributes: {
      title: p.title,
      description: p.description,
      columns: p.columns,
      sort: [[s.timeField, "desc"]],
      grid: {},
      hideChart: true,
      isTextBasedQuery: false,
      sampleSize: p.size,
      rowsPerPage: p.size,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(p.query) },
    } satisfies SearchAttributes,
    references: [{ id: s.dataViewId, name: INDEX_REF, type: "index-pattern" }],
    coreMigrationVersion: CORE,
    typeMigrationVersion: "8.0.0",
    managed: false,
  };
}

/** An options-list control on app_id: Kibana's counterpart of Grafana's `app` variable. */
function appControl(source: SourceName): SavedObject {
  const state = {
    title: "app",
    type: "input_control_vis",
    aggs: [],
    params: {
      controls: [
        {
          id: "1",
          fieldName: "app_id",
          parent: "",
          label: "app",
          type: "list",
          options: { type: "terms", multiselect: true, dynamicOptions: true, size: 50, order: "desc" },
          indexPatternRefName: "control_0_index_pattern",
        },
      ],
      updateFiltersOnChange: true,
      useTimeFilter: false,
      pinFilters: false,
    },
  };
  return {
    id: appControlId(source),
    type: "visualization",
    attributes: {
      title: `app (${SOURCES[source].name})`,
      description: "Filters the dashboard to one or more apps.",
      visState: JSON.stringify(state),
      uiStateJSON: "{}",
      version: 1,
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: "", language: "lucene" }, filter: [] }),
      },
    } satisfies VisualizationAttributes,
    references: [{ id: SOURCES[source].dataViewId, name: "control_0_index_pattern", type: "index-pattern" }],
    coreMigrationVersion: CORE,
    typeMigrationVersion: "8.5.0",
    managed: false,
  };
}

/** App controls a dashboard needs: one per source its app-scoped panels read. */
function controlsOf(d: DashboardSpec): SourceName[] {
  const sources = panelsOf(d).flatMap((p) => (p.kind !== "prom" && p.appScoped ? [p.source] : []));
  return [...new Set(sources)];
}

/** A dashboard of the Elasticsearch panels (Prometheus panels are Grafana's); Kibana's grid is 48 wide. */
function dashboard(d: DashboardSpec): SavedObject {
  type Item = { id: string; type: "visualization" | "search"; wide: boolean };
  const items: Item[] = [
    ...controlsOf(d).map((s): Item => ({ id: appControlId(s), type: "visualization", wide: false })),
    ...panelsOf(d).flatMap((p): Item[] =>
      p.kind === "es"
        ? [{ id: visId(p.key), type: "visualization", wide: false }]
        : p.kind === "docs"
          ? [{ id: searchId(p.key), type: "search", wide: true }]
          : [],
    ),
  ];
  let x = 0;
  let y = 0;
  const panels = items.map((item, i) => {
    const w = item.wide ? 48 : 12;
    const h = item.wide ? 20 : 12;
    if (x + w > 48) {
      x = 0;
      y += 12;
    }
    const gridData = { x, y, w, h, i: String(i) };
    x += w;
    if (item.wide) {
      x = 0;
      y += h;
    }
    return {
      version: CORE,
      type: item.type,
      gridData,
      panelIndex: String(i),
      embeddableConfig: {},
      panelRefName: `panel_${i}`,
    };
  });
  return {
    id: d.uid,
    type: "dashboard",
    attributes: {
      title: d.title,
      description: `${d.description}${panelsOf(d).some((p) => p.kind === "prom") ? " (Prometheus panels are in the Grafana dashboard.)" : ""}`,
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({
        useMargins: true,
        syncColors: false,
        syncCursor: true,
        syncTooltips: false,
        hidePanelTitles: false,
      }),
      timeRestore: false,
      version: 1,
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: "", language: "lucene" }, filter: [] }),
      },
    } satisfies DashboardAttributes,
    references: items.map((item, i) => ({ id: item.id, name: `panel_${i}`, type: item.type })),
    coreMigrationVersion: CORE,
    typeMigrationVersion: "8.7.0",
    managed: false,
  };
}

/** Every saved object, referenced objects before the objects that reference them. */
export function kibanaSavedObjects(): SavedObject[] {
  const panels = DASHBOARDS.flatMap(panelsOf);
  const controls = [...new Set(DASHBOARDS.flatMap(controlsOf))];
  const sources = Object.keys(SOURCES) as SourceName[];
  return [
    ...sources.map(dataView),
    ...controls.map(appControl),
    ...panels.flatMap((p) => (p.kind === "es" ? [visualization(p)] : [])),
    ...panels.flatMap((p) => (p.kind === "docs" ? [savedSearch(p)] : [])),
    ...DASHBOARDS.filter((d) => panelsOf(d).some((p) => p.kind !== "prom")).map(dashboard),
  ];
}

/** NDJSON as Kibana's saved-objects import API takes it: one object per line. */
export const kibanaNdjson = (): string =>
  `${kibanaSavedObjects()
    .map((o) => JSON.stringify(o))
    .join("\n")}\n`;
