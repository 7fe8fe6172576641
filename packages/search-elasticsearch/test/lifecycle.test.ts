// What the local integ-test builds of Elasticsearch 8 and 9 cannot prove, proven on paper: they
// have no ILM and no data-stream APIs (docs/local-services.md), so the ILM policy and the
// data-stream templates reeltime installs on a full cluster are checked here against the rules
// of Elasticsearch's reference (ILM phases and actions, time and byte units, composable
// templates, data streams), and store.init() is run against a stand-in answering as a full
// cluster answers (responses recorded from the API reference), checking the exact requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  DEAD_LETTER_DATA_STREAM,
  eventsDataStream,
  FAMILIES,
  ILM_POLICY_NAME,
  ilmPolicy,
  indexTemplates,
} from "@reeltime/events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createElasticsearchStore } from "../src/index.ts";

type Json = Record<string, unknown>;

/** ILM phases in their order, and the actions each admits (Elasticsearch reference, "Index lifecycle actions"). */
const ILM_PHASES: Record<string, readonly string[]> = {
  hot: [
    "set_priority",
    "unfollow",
    "rollover",
    "read_only",
    "shrink",
    "forcemerge",
    "searchable_snapshot",
    "downsample",
  ],
  warm: ["set_priority", "unfollow", "read_only", "allocate", "migrate", "shrink", "forcemerge", "downsample"],
  cold: ["set_priority", "unfollow", "read_only", "searchable_snapshot", "allocate", "migrate", "freeze", "downsample"],
  frozen: ["unfollow", "searchable_snapshot"],
  delete: ["wait_for_snapshot", "delete"],
};
const ROLLOVER_CONDITIONS = {
  max_age: "time",
  max_docs: "count",
  max_size: "bytes",
  max_primary_shard_size: "bytes",
  max_primary_shard_docs: "count",
  min_age: "time",
  min_docs: "count",
  min_size: "bytes",
  min_primary_shard_size: "bytes",
  min_primary_shard_docs: "count",
} as const;
const TIME = /^\d+(d|h|m|s|ms|micros|nanos)$/;
const BYTES = /^\d+(b|kb|mb|gb|tb|pb)$/;
const toMs = (t: string): number => {
  const [, n, unit] = /^(\d+)(\w+)$/.exec(t)!;
  const per: Record<string, number> = {
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    micros: 1e-3,
    nanos: 1e-6,
  };
  return Number(n) * per[unit!]!;
};

/** Fields of a PUT _index_template body (Elasticsearch reference, "Create or update an index template"). */
const TEMPLATE_FIELDS = new Set([
  "index_patterns",
  "composed_of",
  "template",
  "data_stream",
  "priority",
  "version",
  "_meta",
  "allow_auto_create",
  "ignore_missing_component_templates",
  "deprecated",
]);
/** Field types an index sort accepts (boolean, numeric, date, keyword). */
const SORTABLE = new Set([
  "keyword",
  "date",
  "date_nanos",
  "long",
  "integer",
  "short",
  "byte",
  "double",
  "float",
  "boolean",
]);

interface Template {
  index_patterns: string[];
  data_stream?: Json;
  priority?: number;
  template: { settings: Json; mappings: { dynamic?: string; properties: Record<string, Json> } };
  _meta?: Json;
}
const templates = indexTemplates() as unknown as Record<string, Template>;
const dataStreamNames = [...FAMILIES.map(eventsDataStream), DEAD_LETTER_DATA_STREAM];

/** Two index patterns can name one index (a trailing `*` or an exact name, as reeltime's are). */
function overlap(a: string, b: string): boolean {
  const wild = (p: string) => p.endsWith("*");
  const stem = (p: string) => p.replace(/\*$/, "");
  if (wild(a) && wild(b)) return stem(a).startsWith(stem(b)) || stem(b).startsWith(stem(a));
  if (wild(a)) return b.startsWith(stem(a));
  if (wild(b)) return a.startsWith(stem(b));
  return a === b;
}

describe("the ILM policy, by the rules of the ILM reference", () => {
  const body = ilmPolicy() as {
    policy: { phases: Record<string, { min_age?: string; actions: Record<string, Json> }> } & Json;
  };

  it("is a PUT _ilm/policy body: only `policy`, with phases and _meta", () => {
    expect(Object.keys(body)).toEqual(["policy"]);
    expect(Object.keys(body.policy).sort()).toEqual(["_meta", "phases"]);
  });

  it("names known phases in order, each with actions that phase admits", () => {
    const names = Object.keys(body.policy.phases);
    const order = Object.keys(ILM_PHASES);
    expect(names.every((n) => n in ILM_PHASES)).toBe(true);
    expect([...names].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(names);
    for (const [phase, p] of Object.entries(body.policy.phases)) {
      expect(
        Object.keys(p).every((k) => k === "min_age" || k === "actions"),
        phase,
      ).toBe(true);
      for (const action of Object.keys(p.actions)) expect(ILM_PHASES[phase], `${phase}.${action}`).toContain(action);
      if (p.min_age !== undefined) expect(p.min_age, phase).toMatch(TIME);
    }
  });

  it("rolls over with conditions in their units, and min_age never goes back in time", () => {
    const rollover = body.policy.phases.hot!.actions.rollover as Record<string, string | number>;
    expect(Object.keys(rollover).length).toBeGreaterThan(0);
    for (const [cond, value] of Object.entries(rollover)) {
      const kind = ROLLOVER_CONDITIONS[cond as keyof typeof ROLLOVER_CONDITIONS];
      expect(kind, cond).toBeDefined();
      if (kind === "time") expect(value, cond).toMatch(TIME);
      else if (kind === "bytes") expect(value, cond).toMatch(BYTES);
      else expect(Number.isInteger(value), cond).toBe(true);
    }
    // A rollover condition needs the hot phase; a delete needs min_age past the rollover.
    const ages = Object.values(body.policy.phases).map((p) => toMs(p.min_age ?? "0ms"));
    expect([...ages].sort((a, b) => a - b)).toEqual(ages);
    expect(toMs(body.policy.phases.delete!.min_age!)).toBeGreaterThan(toMs(String(rollover.max_age)));
    expect(body.policy.phases.delete!.actions).toEqual({ delete: {} });
  });
});

describe("the index templates, by the rules of composable templates and data streams", () => {
  it("are PUT _index_template bodies with known fields only, strict mappings and a priority", () => {
    for (const [name, t] of Object.entries(templates)) {
      for (const k of Object.keys(t)) expect(TEMPLATE_FIELDS.has(k), `${name}.${k}`).toBe(true);
      expect(t.index_patterns.length, name).toBeGreaterThan(0);
      expect(Number.isInteger(t.priority) && t.priority! >= 0, name).toBe(true);
      expect(t.template.mappings.dynamic, name).toBe("strict");
      expect(t.template.settings.refresh_interval, name).toMatch(TIME);
      expect(Number.isInteger(t.template.settings.number_of_replicas), name).toBe(true);
    }
  });

  it("never overlap at one priority (Elasticsearch refuses such a template)", () => {
    const list = Object.entries(templates);
    for (const [i, [a, ta]] of list.entries())
      for (const [b, tb] of list.slice(i + 1))
        if (ta.priority === tb.priority)
          for (const pa of ta.index_patterns)
            for (const pb of tb.index_patterns) expect(overlap(pa, pb), `${a} ${pa} ~ ${b} ${pb}`).toBe(false);
  });

  it("make data streams exactly for the events of each family and the dead letters, each matching its name", () => {
    const streams = Object.entries(templates).filter(([, t]) => t.data_stream !== undefined);
    expect(streams.map(([n]) => n).sort()).toEqual([...dataStreamNames].sort());
    for (const [name, t] of streams) {
      expect(t.data_stream, name).toEqual({});
      expect(
        t.index_patterns.some((p) => overlap(p, name)),
        name,
      ).toBe(true);
    }
  });

  it("give a data stream a date @timestamp, the field every data stream needs", () => {
    for (const name of dataStreamNames)
      expect(templates[name]!.template.mappings.properties["@timestamp"], name).toEqual({ type: "date" });
  });

  it("attach the ILM policy by name to data streams only, never with a rollover alias (data streams roll over without one)", () => {
    for (const [name, t] of Object.entries(templates)) {
      const s = t.template.settings;
      expect(s["index.lifecycle.name"], name).toBe(t.data_stream ? ILM_POLICY_NAME : undefined);
      expect(s["index.lifecycle.rollover_alias"], name).toBeUndefined();
    }
  });

  it("sort event segments on fields the mapping has, of sortable types", () => {
    for (const f of FAMILIES) {
      const t = templates[eventsDataStream(f)]!;
      const fields = t.template.settings["sort.field"] as string[];
      const order = t.template.settings["sort.order"] as string[];
      expect(fields.length, f).toBe(order.length);
      for (const o of order) expect(["asc", "desc"]).toContain(o);
      for (const field of fields)
        expect(SORTABLE.has(String(t.template.mappings.properties[field]?.type)), field).toBe(true);
    }
  });
});

/** Requests the stand-in received, with their parsed bodies. */
let requests: { method: string; path: string; accept: string; body: unknown }[];
let ilm: boolean;
let server: Server;
let url: string;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "x-elastic-product": "Elasticsearch" });
  res.end(JSON.stringify(body));
}

/**
 * A full cluster's answers as the API reference records them: `{"acknowledged": true}` to PUT
 * _ilm/policy, _index_template and _mapping, a green _cluster/health. Without ILM it answers PUT
 * _ilm/policy as the integ-test builds do (recorded from the local 8.19.21 and 9.2.0).
 */
function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const path = req.url ?? "";
  requests.push({
    method: req.method ?? "",
    path,
    accept: String(req.headers.accept),
    body: raw ? JSON.parse(raw) : undefined,
  });
  if (path.startsWith("/_ilm/policy/") && !ilm) {
    res.writeHead(400, { "content-type": "application/json", "x-elastic-product": "Elasticsearch" });
    res.end(JSON.stringify({ error: `no handler found for uri [${path}] and method [${req.method}]` }));
    return;
  }
  if (path.startsWith("/_cluster/health")) {
    reply(res, 200, { cluster_name: "recorded", status: "green", number_of_nodes: 3, timed_out: false });
    return;
  }
  reply(res, 200, { acknowledged: true });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
});

describe("store.init() on a full cluster (recorded responses)", () => {
  it("puts the ILM policy first, then every template with the policy on the data streams, then the new fields", async () => {
    ilm = true;
    const store = createElasticsearchStore({ REELTIME_ES_URL: url, REELTIME_ES_REPLICAS: 1 });
    await store.init();
    const health = await store.health();
    await store.shutdown();

    expect(requests[0]).toMatchObject({ method: "PUT", path: `/_ilm/policy/${ILM_POLICY_NAME}`, body: ilmPolicy() });
    const puts = requests.filter((r) => r.path.startsWith("/_index_template/"));
    expect(puts.map((r) => r.path)).toEqual(Object.keys(templates).map((n) => `/_index_template/${n}`));
    for (const r of puts) {
      const name = r.path.slice("/_index_template/".length);
      const want = templates[name]!;
      // As generated, but for the replicas REELTIME_ES_REPLICAS asked for.
      expect(r.method, name).toBe("PUT");
      expect(r.body, name).toEqual({
        ...want,
        template: { ...want.template, settings: { ...want.template.settings, number_of_replicas: 1 } },
      });
    }
    const mappings = requests.filter((r) => r.path.includes("/_mapping"));
    expect(mappings).toHaveLength(Object.keys(templates).length);
    // The v8 client's compatibility headers, which Elasticsearch 8 and 9 both accept.
    for (const r of requests) expect(r.accept).toContain("compatible-with=8");
    expect(health).toMatchObject({ ok: true });
    expect(health.detail).not.toMatch(/no ILM/);
  });

  it("on a server without ILM (the integ-test builds) installs the templates without the policy, and says so", async () => {
    ilm = false;
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(String(w.code));
    process.on("warning", onWarning);
    const store = createElasticsearchStore({ REELTIME_ES_URL: url });
    try {
      await store.init();
      const health = await store.health();
      expect(health.detail).toMatch(/no ILM: indices never roll over or expire/);
    } finally {
      await store.shutdown();
    }
    await new Promise((r) => setImmediate(r));
    process.off("warning", onWarning);
    expect(warnings).toContain("REELTIME_WARN_SEARCH_NO_ILM");
    for (const r of requests.filter((x) => x.path.startsWith("/_index_template/"))) {
      const settings = (r.body as Template).template.settings;
      expect(settings["index.lifecycle.name"], r.path).toBeUndefined();
    }
  });
});
