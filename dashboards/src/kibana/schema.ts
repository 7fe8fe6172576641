/**
 * The shapes Kibana (8.8 and later) accepts for the saved objects this project writes, kept
 * here as TypeBox schemas (types for the generator, JSON schemas for ajv), and the checks
 * between an object's parts that no JSON schema can say (references, agg ids, Lens columns).
 *
 * Written from Kibana's saved-object type definitions and its documented examples, not copied:
 * - the envelope is that of `POST /api/saved_objects/_import` (one object per NDJSON line);
 * - attributes are those of the registered types' schemas in 8.x: Kibana refuses an attribute
 *   its type does not declare, so each schema here is closed (additionalProperties: false);
 * - the JSON held in strings (visState, searchSourceJSON, panelsJSON, optionsJSON) is parsed
 *   and checked too, since that is where Kibana fails when it opens the object;
 * - Lens attributes (by reference, type `lens`, or by value in a dashboard panel): the
 *   form-based datasource's layers, their columns and the visualization's accessors.
 * test/kibana-schema.test.ts runs them on the committed NDJSON and on reference objects written
 * for this project in Kibana's documented shapes (test/fixtures/kibana-reference-objects.json);
 * Kibana's own sample objects are not included (ELv2/AGPL/SSPL).
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Ajv, type ValidateFunction } from "ajv";

const Str = Type.String();
const Semver = Type.String({ pattern: "^\\d+\\.\\d+\\.\\d+$" });
const Closed = { additionalProperties: false } as const;

export const Reference = Type.Object({ id: Str, name: Str, type: Str }, Closed);
export type Reference = Static<typeof Reference>;

const SearchMeta = Type.Object({ searchSourceJSON: Type.Optional(Str) }, Closed);

/** index-pattern (a data view): what the data views plugin registers. */
export const IndexPatternAttributes = Type.Object(
  {
    title: Str,
    name: Type.Optional(Str),
    type: Type.Optional(Str),
    timeFieldName: Type.Optional(Str),
    sourceFilters: Type.Optional(Str),
    fields: Type.Optional(Str),
    typeMeta: Type.Optional(Str),
    fieldFormatMap: Type.Optional(Str),
    fieldAttrs: Type.Optional(Str),
    runtimeFieldMap: Type.Optional(Str),
    allowNoIndex: Type.Optional(Type.Boolean()),
    allowHidden: Type.Optional(Type.Boolean()),
  },
  Closed,
);
export type IndexPatternAttributes = Static<typeof IndexPatternAttributes>;

/** visualization: a legacy (aggregation-based) visualization; its state is JSON in visState. */
export const VisualizationAttributes = Type.Object(
  {
    title: Str,
    description: Type.Optional(Str),
    version: Type.Optional(Type.Number()),
    kibanaSavedObjectMeta: Type.Optional(SearchMeta),
    uiStateJSON: Type.Optional(Str),
    visState: Type.Optional(Str),
    savedSearchRefName: Type.Optional(Str),
  },
  Closed,
);
export type VisualizationAttributes = Static<typeof VisualizationAttributes>;

/** search: a saved Discover session. */
export const SearchAttributes = Type.Object(
  {
    title: Str,
    description: Type.Optional(Str),
    columns: Type.Array(Str),
    sort: Type.Array(Type.Tuple([Str, Str])),
    grid: Type.Optional(Type.Record(Str, Type.Unknown())),
    hideChart: Type.Optional(Type.Boolean()),
    isTextBasedQuery: Type.Optional(Type.Boolean()),
    usesAdHocDataView: Type.Optional(Type.Boolean()),
    hideAggregatedPreview: Type.Optional(Type.Boolean()),
    viewMode: Type.Optional(
      Type.Union([Type.Literal("documents"), Type.Literal("patterns"), Type.Literal("aggregated")]),
    ),
    rowHeight: Type.Optional(Type.Number()),
    headerRowHeight: Type.Optional(Type.Number()),
    rowsPerPage: Type.Optional(Type.Integer({ minimum: 1 })),
    sampleSize: Type.Optional(Type.Integer({ minimum: 1 })),
    breakdownField: Type.Optional(Str),
    timeRestore: Type.Optional(Type.Boolean()),
    hits: Type.Optional(Type.Number()),
    version: Type.Optional(Type.Number()),
    kibanaSavedObjectMeta: SearchMeta,
  },
  Closed,
);
export type SearchAttributes = Static<typeof SearchAttributes>;

/** dashboard: panels and options as JSON strings (the 8.x saved-object form). */
export const DashboardAttributes = Type.Object(
  {
    title: Str,
    description: Type.Optional(Str),
    hits: Type.Optional(Type.Number()),
    panelsJSON: Str,
    optionsJSON: Type.Optional(Str),
    timeRestore: Type.Optional(Type.Boolean()),
    timeFrom: Type.Optional(Str),
    timeTo: Type.Optional(Str),
    refreshInterval: Type.Optional(Type.Object({ pause: Type.Boolean(), value: Type.Number() })),
    controlGroupInput: Type.Optional(Type.Record(Str, Type.Unknown())),
    version: Type.Optional(Type.Number()),
    kibanaSavedObjectMeta: Type.Optional(SearchMeta),
  },
  Closed,
);
export type DashboardAttributes = Static<typeof DashboardAttributes>;

/** lens: a Lens visualization saved by reference. */
export const LensAttributes = Type.Object(
  {
    title: Type.Optional(Str),
    description: Type.Optional(Str),
    visualizationType: Type.Union(
      [
        "lnsXY",
        "lnsMetric",
        "lnsLegacyMetric",
        "lnsDatatable",
        "lnsPie",
        "lnsGauge",
        "lnsHeatmap",
        "lnsTagcloud",
        "lnsChoropleth",
      ].map((v) => Type.Literal(v)),
    ),
    state: Type.Object({
      visualization: Type.Record(Str, Type.Unknown()),
      query: Type.Object({ query: Type.Union([Str, Type.Record(Str, Type.Unknown())]), language: Str }),
      filters: Type.Array(Type.Unknown()),
      datasourceStates: Type.Record(Str, Type.Unknown()),
      internalReferences: Type.Optional(Type.Array(Reference)),
      adHocDataViews: Type.Optional(Type.Record(Str, Type.Unknown())),
    }),
    /** Only by value (inside a dashboard panel); a `lens` saved object keeps them on the object. */
    references: Type.Optional(Type.Array(Reference)),
    type: Type.Optional(Type.Literal("lens")),
  },
  Closed,
);
export type LensAttributes = Static<typeof LensAttributes>;

const envelope = <T extends string, A extends TSchema>(type: T, attributes: A) =>
  Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      type: Type.Literal(type),
      attributes,
      references: Type.Array(Reference),
      coreMigrationVersion: Type.Optional(Semver),
      typeMigrationVersion: Type.Optional(Semver),
      migrationVersion: Type.Optional(Type.Record(Str, Semver)),
      managed: Type.Optional(Type.Boolean()),
      namespaces: Type.Optional(Type.Array(Str)),
      originId: Type.Optional(Str),
      version: Type.Optional(Str),
      created_at: Type.Optional(Str),
      updated_at: Type.Optional(Str),
      created_by: Type.Optional(Str),
      updated_by: Type.Optional(Str),
    },
    Closed,
  );

export const KIBANA_TYPES = {
  "index-pattern": envelope("index-pattern", IndexPatternAttributes),
  visualization: envelope("visualization", VisualizationAttributes),
  search: envelope("search", SearchAttributes),
  dashboard: envelope("dashboard", DashboardAttributes),
  lens: envelope("lens", LensAttributes),
} as const;
export type KibanaType = keyof typeof KIBANA_TYPES;

// The JSON Kibana keeps in strings.

export const SearchSource = Type.Object({
  query: Type.Optional(
    Type.Object({
      query: Type.Union([Str, Type.Record(Str, Type.Unknown())]),
      language: Type.Union([Type.Literal("kuery"), Type.Literal("lucene")]),
    }),
  ),
  filter: Type.Optional(Type.Array(Type.Unknown())),
  indexRefName: Type.Optional(Str),
});

/** The legacy visualization types Kibana 8 still opens (not the removed region/tile maps). */
const VIS_TYPES = [
  "area",
  "line",
  "histogram",
  "horizontal_bar",
  "pie",
  "metric",
  "table",
  "gauge",
  "goal",
  "heatmap",
  "tagcloud",
  "markdown",
  "input_control_vis",
  "timelion",
  "vega",
  "metrics",
] as const;

/** Aggregation types of Kibana's search service (data plugin) usable in a legacy visualization. */
const AGG_TYPES = [
  "count",
  "avg",
  "sum",
  "min",
  "max",
  "median",
  "std_dev",
  "cardinality",
  "percentiles",
  "percentile_ranks",
  "top_hits",
  "top_metrics",
  "value_count",
  "geo_bounds",
  "geo_centroid",
  "filtered_metric",
  "avg_bucket",
  "sum_bucket",
  "min_bucket",
  "max_bucket",
  "cumulative_sum",
  "derivative",
  "moving_avg",
  "serial_diff",
  "rate",
  "date_histogram",
  "histogram",
  "terms",
  "multi_terms",
  "rare_terms",
  "significant_terms",
  "significant_text",
  "filters",
  "range",
  "date_range",
  "ip_range",
  "geotile_grid",
  "sampler",
  "diversified_sampler",
] as const;

const Agg = Type.Object({
  id: Type.String({ minLength: 1 }),
  enabled: Type.Boolean(),
  type: Type.Union(AGG_TYPES.map((t) => Type.Literal(t))),
  schema: Str,
  params: Type.Record(Str, Type.Unknown()),
});

export const VisState = Type.Object({
  title: Str,
  type: Type.Union(VIS_TYPES.map((t) => Type.Literal(t))),
  aggs: Type.Array(Agg),
  params: Type.Record(Str, Type.Unknown()),
});
export type VisState = Static<typeof VisState>;

export const DashboardPanel = Type.Object({
  version: Type.Optional(Str),
  type: Str,
  gridData: Type.Object({
    x: Type.Integer({ minimum: 0, maximum: 47 }),
    y: Type.Integer({ minimum: 0 }),
    w: Type.Integer({ minimum: 1, maximum: 48 }),
    h: Type.Integer({ minimum: 1 }),
    i: Str,
  }),
  panelIndex: Str,
  embeddableConfig: Type.Record(Str, Type.Unknown()),
  panelRefName: Type.Optional(Str),
  title: Type.Optional(Str),
});
export type DashboardPanel = Static<typeof DashboardPanel>;

export const DashboardOptions = Type.Object(
  {
    useMargins: Type.Optional(Type.Boolean()),
    syncColors: Type.Optional(Type.Boolean()),
    syncCursor: Type.Optional(Type.Boolean()),
    syncTooltips: Type.Optional(Type.Boolean()),
    hidePanelTitles: Type.Optional(Type.Boolean()),
  },
  Closed,
);

/** Lens operations of the form-based datasource. */
const LENS_OPERATIONS = [
  "count",
  "sum",
  "average",
  "min",
  "max",
  "median",
  "standard_deviation",
  "unique_count",
  "percentile",
  "percentile_rank",
  "last_value",
  "date_histogram",
  "range",
  "terms",
  "filters",
  "cumulative_sum",
  "differences",
  "moving_average",
  "counter_rate",
  "overall_sum",
  "overall_average",
  "overall_min",
  "overall_max",
  "formula",
  "math",
  "static_value",
  "time_range",
  "time_scale",
  "interval",
  "now",
] as const;
/** Operations that read no field of their own. */
const FIELDLESS = new Set([
  "formula",
  "math",
  "static_value",
  "time_range",
  "interval",
  "now",
  "filters",
  "cumulative_sum",
  "differences",
  "moving_average",
  "counter_rate",
  "overall_sum",
  "overall_average",
  "overall_min",
  "overall_max",
  "time_scale",
]);

const LensColumn = Type.Object({
  label: Str,
  dataType: Type.Union(
    ["number", "string", "date", "boolean", "ip", "histogram", "geo_point", "murmur3"].map((t) => Type.Literal(t)),
  ),
  operationType: Type.Union(LENS_OPERATIONS.map((o) => Type.Literal(o))),
  isBucketed: Type.Boolean(),
  sourceField: Type.Optional(Str),
  references: Type.Optional(Type.Array(Str)),
  params: Type.Optional(Type.Record(Str, Type.Unknown())),
});
type LensColumn = Static<typeof LensColumn>;

const FormBasedLayer = Type.Object({
  columns: Type.Record(Str, LensColumn),
  columnOrder: Type.Array(Str),
});
const FormBased = Type.Object({ layers: Type.Record(Str, FormBasedLayer) });

export interface Problem {
  object: string;
  problem: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<TSchema, ValidateFunction>();
function check(schema: TSchema, value: unknown): string[] {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

function parseJson(text: unknown, what: string, out: string[]): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    out.push(`${what} is not JSON`);
    return undefined;
  }
}

const refByName = (refs: Reference[], name: string) => refs.find((r) => r.name === name);

function checkSearchSource(meta: { searchSourceJSON?: string } | undefined, refs: Reference[], out: string[]) {
  const source = parseJson(meta?.searchSourceJSON, "searchSourceJSON", out);
  if (source === undefined) return;
  for (const e of check(SearchSource, source)) out.push(`searchSourceJSON${e}`);
  const name = (source as { indexRefName?: string }).indexRefName;
  if (name !== undefined && refByName(refs, name)?.type !== "index-pattern")
    out.push(`searchSourceJSON.indexRefName ${name} names no index-pattern reference`);
}

function checkVisState(attrs: VisualizationAttributes, refs: Reference[], out: string[]) {
  const state = parseJson(attrs.visState, "visState", out);
  if (state === undefined) return;
  const errors = check(VisState, state);
  for (const e of errors) out.push(`visState${e}`);
  if (errors.length > 0) return;
  const vis = state as VisState;
  const ids = vis.aggs.map((a) => a.id);
  if (new Set(ids).size !== ids.length) out.push(`visState.aggs ids repeat: ${ids.join(",")}`);
  for (const a of vis.aggs) {
    if (a.type !== "count" && !["filters", "range", "date_range"].includes(a.type) && a.params.field === undefined)
      out.push(`visState agg ${a.id} (${a.type}) has no field`);
    if (a.type === "terms" && a.params.orderBy === "custom" && a.params.orderAgg === undefined)
      out.push(`visState agg ${a.id} orders by a custom agg it does not give`);
    if (a.type === "terms" && typeof a.params.orderBy === "string" && !["custom", "_key"].includes(a.params.orderBy))
      if (!ids.includes(a.params.orderBy))
        out.push(`visState agg ${a.id} orders by agg ${a.params.orderBy}, not there`);
  }
  const metricIds = new Set(vis.aggs.filter((a) => a.schema === "metric").map((a) => a.id));
  const series = (vis.params.seriesParams ?? []) as { data?: { id?: string }; valueAxis?: string }[];
  const axes = new Set(((vis.params.valueAxes ?? []) as { id?: string }[]).map((a) => a.id));
  for (const s of series) {
    if (!metricIds.has(String(s.data?.id))) out.push(`visState series of agg ${s.data?.id}: no such metric agg`);
    if (s.valueAxis !== undefined && !axes.has(s.valueAxis)) out.push(`visState series on axis ${s.valueAxis}: none`);
  }
  if (vis.type === "input_control_vis")
    for (const c of (vis.params.controls ?? []) as { id: string; indexPatternRefName?: string }[])
      if (!c.indexPatternRefName || refByName(refs, c.indexPatternRefName)?.type !== "index-pattern")
        out.push(`control ${c.id} names no index-pattern reference`);
}

const ACCESSOR_KEYS = [
  "metricAccessor",
  "maxAccessor",
  "secondaryMetricAccessor",
  "breakdownByAccessor",
  "xAccessor",
  "splitAccessor",
  "valueAccessor",
  "accessor",
];

/** Lens attributes against the references they come with (on the object, or inside by value). */
export function lensProblems(attrs: unknown, references: Reference[]): string[] {
  const out = check(LensAttributes, attrs);
  if (out.length > 0) return out;
  const lens = attrs as LensAttributes;
  const refs = [...references, ...(lens.references ?? []), ...(lens.state.internalReferences ?? [])];
  const formBased = lens.state.datasourceStates.formBased ?? lens.state.datasourceStates.indexpattern;
  if (formBased === undefined) return out;
  const errors = check(FormBased, formBased);
  if (errors.length > 0) return errors.map((e) => `formBased${e}`);
  const layers = (formBased as Static<typeof FormBased>).layers;
  for (const [layerId, layer] of Object.entries(layers)) {
    const columns = new Map<string, LensColumn>(Object.entries(layer.columns));
    const adHoc = lens.state.adHocDataViews ?? {};
    const ref = refByName(refs, `indexpattern-datasource-layer-${layerId}`);
    if (ref?.type !== "index-pattern" && !(ref && ref.id in adHoc))
      out.push(`layer ${layerId} has no indexpattern-datasource-layer-${layerId} reference`);
    for (const id of layer.columnOrder)
      if (!columns.has(id)) out.push(`layer ${layerId}: columnOrder names ${id}, no such column`);
    for (const [id, col] of columns) {
      if (!layer.columnOrder.includes(id)) out.push(`layer ${layerId}: column ${id} is not in columnOrder`);
      for (const r of col.references ?? [])
        if (!columns.has(r)) out.push(`layer ${layerId}: column ${id} refers to ${r}, no such column`);
      if (!FIELDLESS.has(col.operationType) && !col.sourceField)
        out.push(`layer ${layerId}: column ${id} (${col.operationType}) has no sourceField`);
      const orderBy = col.params?.orderBy as { type?: string; columnId?: string } | undefined;
      if (orderBy?.type === "column" && !columns.has(String(orderBy.columnId)))
        out.push(`layer ${layerId}: column ${id} is ordered by ${orderBy.columnId}, no such column`);
    }
  }
  // The visualization's layers and accessors must name the datasource's layers and columns.
  const vis = lens.state.visualization as Record<string, unknown>;
  const visLayers = (Array.isArray(vis.layers) ? vis.layers : [vis]) as Record<string, unknown>[];
  for (const l of visLayers) {
    if (l.layerType !== undefined && l.layerType !== "data") continue;
    const layerId = String(l.layerId);
    const layer = layers[layerId];
    if (!layer) {
      out.push(`visualization layer ${layerId}: no such datasource layer`);
      continue;
    }
    const named = [
      ...ACCESSOR_KEYS.flatMap((k) => (typeof l[k] === "string" ? [l[k] as string] : [])),
      ...(Array.isArray(l.accessors) ? (l.accessors as string[]) : []),
      ...(Array.isArray(l.columns) ? (l.columns as { columnId: string }[]).map((c) => c.columnId) : []),
    ];
    for (const id of named)
      if (!(id in layer.columns)) out.push(`visualization layer ${layerId} shows ${id}, no such column`);
  }
  return out;
}

function checkDashboard(attrs: DashboardAttributes, refs: Reference[], out: string[]) {
  const options = parseJson(attrs.optionsJSON, "optionsJSON", out);
  if (options !== undefined) for (const e of check(DashboardOptions, options)) out.push(`optionsJSON${e}`);
  const panels = parseJson(attrs.panelsJSON, "panelsJSON", out);
  if (panels === undefined) return;
  if (!Array.isArray(panels)) {
    out.push("panelsJSON is not an array");
    return;
  }
  const indexes = new Set<string>();
  panels.forEach((p: unknown, n) => {
    const errors = check(DashboardPanel, p);
    for (const e of errors) out.push(`panelsJSON/${n}${e}`);
    if (errors.length > 0) return;
    const panel = p as DashboardPanel;
    if (indexes.has(panel.panelIndex)) out.push(`panel ${panel.panelIndex} repeats`);
    indexes.add(panel.panelIndex);
    if (panel.gridData.i !== panel.panelIndex) out.push(`panel ${panel.panelIndex}: gridData.i is ${panel.gridData.i}`);
    if (panel.gridData.x + panel.gridData.w > 48) out.push(`panel ${panel.panelIndex} goes past the 48-column grid`);
    if (panel.panelRefName !== undefined) {
      const ref = refByName(refs, panel.panelRefName);
      if (!ref) out.push(`panel ${panel.panelIndex}: no reference named ${panel.panelRefName}`);
      else if (ref.type !== panel.type)
        out.push(`panel ${panel.panelIndex} is a ${panel.type}, its reference a ${ref.type}`);
    } else if (panel.type === "lens") {
      for (const e of lensProblems(panel.embeddableConfig.attributes, refs))
        out.push(`panel ${panel.panelIndex}: ${e}`);
    }
  });
}

export interface KibanaObject {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  references: Reference[];
}

/** What Kibana would refuse in one saved object, or fail on when opening it. */
export function savedObjectProblems(obj: KibanaObject): string[] {
  const schema = KIBANA_TYPES[obj.type as KibanaType];
  if (!schema) return [`type ${obj.type} is not one of ${Object.keys(KIBANA_TYPES).join(", ")}`];
  const out = check(schema, obj);
  if (out.length > 0) return out;
  const refs = obj.references;
  const names = refs.map((r) => r.name);
  if (new Set(names).size !== names.length) out.push("reference names repeat");
  if (obj.type === "visualization") {
    const attrs = obj.attributes as VisualizationAttributes;
    checkSearchSource(attrs.kibanaSavedObjectMeta, refs, out);
    checkVisState(attrs, refs, out);
  }
  if (obj.type === "search") checkSearchSource((obj.attributes as SearchAttributes).kibanaSavedObjectMeta, refs, out);
  if (obj.type === "dashboard") {
    const attrs = obj.attributes as DashboardAttributes;
    checkSearchSource(attrs.kibanaSavedObjectMeta, refs, out);
    checkDashboard(attrs, refs, out);
  }
  if (obj.type === "lens") out.push(...lensProblems(obj.attributes, refs));
  return out;
}

/**
 * Every problem of a set of objects imported together: each object's own, and references to an
 * object that is neither in the set nor among `present` (Kibana's import reports those as
 * missing_references and imports nothing that needs them).
 */
export function savedObjectsProblems(objects: KibanaObject[], present: string[] = []): Problem[] {
  const have = new Set([...present, ...objects.map((o) => `${o.type}:${o.id}`)]);
  const ids = objects.map((o) => `${o.type}:${o.id}`);
  const problems: Problem[] = [];
  if (new Set(ids).size !== ids.length) problems.push({ object: "*", problem: "two objects share a type and id" });
  for (const o of objects) {
    const object = `${o.type}:${o.id}`;
    for (const problem of savedObjectProblems(o)) problems.push({ object, problem });
    for (const r of o.references ?? [])
      if (!have.has(`${r.type}:${r.id}`)) problems.push({ object, problem: `missing reference ${r.type}:${r.id}` });
  }
  return problems;
}
