// The committed Kibana saved objects against the shapes Kibana 8.8+ accepts (src/kibana/schema.ts),
// and those shapes against reference objects written by hand for this project in the shapes
// Kibana 8.x documents (test/fixtures/kibana-reference-objects.json, source noted there: a data
// view, a saved search, a legacy visualization and two by-value Lens panels over reeltime's own
// view data), so the schemas accept what those documented shapes allow and refuse one-change
// breakages. Kibana's own sample objects are not used: their licence (ELv2/AGPL/SSPL) keeps them
// out of the project, so nothing here shows the schemas accept what Kibana itself installs.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { GENERATED_DIR } from "../src/export.ts";
import {
  type KibanaObject,
  lensProblems,
  type Reference,
  savedObjectProblems,
  savedObjectsProblems,
} from "../src/kibana/schema.ts";

type Json = Record<string, unknown>;

const reference = JSON.parse(
  await readFile(new URL("./fixtures/kibana-reference-objects.json", import.meta.url), "utf8"),
) as { objects: KibanaObject[]; lens: Record<string, Json & { references: Reference[] }> };

const committed = async (): Promise<KibanaObject[]> =>
  (await readFile(`${GENERATED_DIR}/kibana/reeltime.ndjson`, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as KibanaObject);

const clone = <T>(v: T): T => structuredClone(v);
const find = (objects: KibanaObject[], pred: (o: KibanaObject) => boolean): KibanaObject => {
  const o = objects.find(pred);
  if (!o) throw new Error("no such object in the fixture");
  return o;
};
/** Rewrites a JSON-in-a-string attribute. */
const editJson = (holder: Json, key: string, edit: (v: Json) => void) => {
  const v = JSON.parse(String(holder[key])) as Json;
  edit(v);
  holder[key] = JSON.stringify(v);
};

describe("hand-written reference objects in Kibana's documented shapes pass the schemas", () => {
  for (const o of reference.objects)
    it(`${o.type} ${String(o.attributes.title)}`, () => {
      expect(savedObjectProblems(o)).toEqual([]);
    });
  it("the set resolves (the search refers to the data view beside it)", () => {
    expect(savedObjectsProblems(reference.objects)).toEqual([]);
  });
  for (const [title, attrs] of Object.entries(reference.lens))
    it(`Lens ${title} (by value)`, () => {
      expect(lensProblems(attrs, [])).toEqual([]);
    });
  it("a Lens saved object by reference (the same attributes on a `lens` object)", () => {
    const { references, ...attributes } = clone(reference.lens["Views by browser"]!);
    const lens: KibanaObject = { id: "views-by-browser", type: "lens", attributes, references };
    expect(savedObjectsProblems([lens, ...reference.objects])).toEqual([]);
  });
});

describe("the committed NDJSON passes", () => {
  it("every object, and every reference resolves inside the file", async () => {
    const objects = await committed();
    expect(objects.length).toBeGreaterThan(10);
    expect(savedObjectsProblems(objects)).toEqual([]);
  });
});

describe("what Kibana refuses fails", () => {
  type Case = [string, (objects: KibanaObject[]) => void, RegExp];
  const vis = (os: KibanaObject[]) => find(os, (o) => o.id === "reeltime-vis-qoe-startup");
  const dash = (os: KibanaObject[]) => find(os, (o) => o.type === "dashboard");
  const view = (os: KibanaObject[]) => find(os, (o) => o.type === "index-pattern");
  const cases: Case[] = [
    ["an unknown saved-object type", (os) => (vis(os).type = "visualisation"), /type visualisation is not one of/],
    ["an attribute the type does not declare", (os) => (view(os).attributes.timeField = "@timestamp"), /additional/],
    ["a data view without a title", (os) => delete view(os).attributes.title, /title/],
    [
      "a typeMigrationVersion that is not a version",
      (os) => ((vis(os) as KibanaObject & { typeMigrationVersion: string }).typeMigrationVersion = "8.5"),
      /pattern/,
    ],
    [
      "a visualization whose data view reference is gone",
      (os) => (vis(os).references = []),
      /indexRefName .* names no index-pattern reference/,
    ],
    [
      "a reference to an object not in the file",
      (os) => (vis(os).references[0]!.id = "no-such-view"),
      /missing reference index-pattern:no-such-view/,
    ],
    ["visState that is not JSON", (os) => (vis(os).attributes.visState = "{"), /visState is not JSON/],
    [
      "a visualization type Kibana does not have",
      (os) => editJson(vis(os).attributes, "visState", (v) => (v.type = "linechart")),
      /visState\/type/,
    ],
    [
      "an aggregation type Kibana does not have",
      (os) => editJson(vis(os).attributes, "visState", (v) => ((v.aggs as Json[])[0]!.type = "average")),
      /visState\/aggs\/0\/type/,
    ],
    [
      "a field aggregation without its field",
      (os) => editJson(vis(os).attributes, "visState", (v) => delete ((v.aggs as Json[])[0]!.params as Json).field),
      /has no field/,
    ],
    [
      "a chart series drawing an aggregation that is not there",
      (os) => {
        const chart = find(
          os,
          (o) => o.type === "visualization" && String(o.attributes.visState).includes("seriesParams"),
        );
        editJson(chart.attributes, "visState", (v) => {
          for (const s of (v.params as { seriesParams: { data: Json }[] }).seriesParams) s.data.id = "99";
        });
      },
      /series of agg 99: no such metric agg/,
    ],
    [
      "a search language Kibana does not have",
      (os) =>
        editJson(
          vis(os).attributes.kibanaSavedObjectMeta as Json,
          "searchSourceJSON",
          (v) => ((v.query as Json).language = "sql"),
        ),
      /searchSourceJSON\/query\/language/,
    ],
    ["a dashboard panel whose reference is gone", (os) => dash(os).references.pop(), /no reference named panel_\d+/],
    [
      "a dashboard panel whose type is not its reference's",
      (os) =>
        editJson(dash(os).attributes, "panelsJSON", (v) => {
          ((v as unknown as Json[])[0] as Json).type = "search";
        }),
      /is a search, its reference a visualization/,
    ],
    [
      "a dashboard panel past the 48-column grid",
      (os) =>
        editJson(dash(os).attributes, "panelsJSON", (v) => {
          (((v as unknown as Json[])[0] as Json).gridData as Json).x = 40;
        }),
      /past the 48-column grid/,
    ],
    [
      "an input control without its data view reference",
      (os) => (find(os, (o) => o.id.startsWith("reeltime-vis-app-control-")).references = []),
      /control 1 names no index-pattern reference/,
    ],
  ];
  for (const [what, mutate, expected] of cases)
    it(what, async () => {
      const objects = await committed();
      expect(savedObjectsProblems(objects)).toEqual([]);
      mutate(objects);
      const problems = savedObjectsProblems(objects).map((p) => p.problem);
      expect(
        problems.some((p) => expected.test(p)),
        problems.join("\n"),
      ).toBe(true);
    });

  // Lens, on the reference "Views by browser" bar (lnsXY, terms ordered by a count): one change each.
  const lensCases: [string, (a: Json) => void, RegExp][] = [
    [
      "a Lens layer's columnOrder naming a column that is not there",
      (a) => {
        const layer = Object.values(
          ((a.state as Json).datasourceStates as { formBased: { layers: Record<string, Json> } }).formBased.layers,
        )[0]!;
        (layer.columnOrder as string[]).push("no-such-column");
      },
      /columnOrder names no-such-column, no such column/,
    ],
    [
      "a Lens chart showing a column that is not there",
      (a) => {
        const layer = ((a.state as Json).visualization as { layers: Json[] }).layers[0]!;
        layer.xAccessor = "no-such-column";
      },
      /shows no-such-column, no such column/,
    ],
    [
      "a Lens terms column ordered by a column that is not there",
      (a) => {
        const layer = Object.values(
          ((a.state as Json).datasourceStates as { formBased: { layers: Record<string, { columns: Json }> } }).formBased
            .layers,
        )[0]!;
        for (const c of Object.values(layer.columns) as { params?: { orderBy?: Json } }[])
          if (c.params?.orderBy) c.params.orderBy.columnId = "gone";
      },
      /ordered by gone, no such column/,
    ],
    [
      "a Lens layer without its data view reference",
      (a) =>
        (a.references = (a.references as Reference[]).filter(
          (r) => !r.name.startsWith("indexpattern-datasource-layer-"),
        )),
      /has no indexpattern-datasource-layer-.* reference/,
    ],
    [
      "a Lens operation Kibana does not have",
      (a) => {
        const layer = Object.values(
          ((a.state as Json).datasourceStates as { formBased: { layers: Record<string, { columns: Json }> } }).formBased
            .layers,
        )[0]!;
        (Object.values(layer.columns)[0] as Json).operationType = "avg";
      },
      /operationType/,
    ],
    ["a Lens visualization type Kibana does not have", (a) => (a.visualizationType = "lnsBar"), /visualizationType/],
  ];
  for (const [what, mutate, expected] of lensCases)
    it(what, () => {
      const attrs = clone(reference.lens["Views by browser"]!);
      expect(lensProblems(attrs, [])).toEqual([]);
      mutate(attrs);
      const problems = lensProblems(attrs, []);
      expect(
        problems.some((p) => expected.test(p)),
        problems.join("\n"),
      ).toBe(true);
    });
});
