import { createServer } from "node:net";
import { Client } from "@elastic/elasticsearch";
import {
  DEAD_LETTER_DATA_STREAM,
  eventsDataStream,
  exampleEvents,
  FAMILIES,
  ILM_POLICY_NAME,
  ilmPolicy,
  indexTemplates,
} from "@reeltime/events";
import type { StoredEvent } from "@reeltime/ports";
import { searchConformance } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createElasticsearchStore } from "../src/index.ts";

/**
 * Both Elasticsearch majors users run, each a cell of the connector grid: the adapter's one v8
 * client serves both (9 through its `compatible-with=8` headers; docs/local-services.md).
 * REELTIME_ES_URL / REELTIME_ES9_URL point them elsewhere (vitest.config.ts gives the integration
 * tier REELTIME_ES9_URL from infra's LOCAL_ENDPOINTS.elasticsearch9).
 */
const MAJORS: [major: string, url: string][] = [
  ["8", process.env.REELTIME_ES_URL ?? "http://127.0.0.1:9200"],
  ["9", process.env.REELTIME_ES9_URL ?? "http://127.0.0.1:9201"],
];

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A generated template without `index.lifecycle.name`, to tell mapping problems from a missing ILM. */
function withoutLifecycle(body: Record<string, unknown>): Record<string, unknown> {
  const t = body.template as { settings: Record<string, unknown> };
  const { "index.lifecycle.name": _policy, ...settings } = t.settings;
  return { ...body, template: { ...t, settings } };
}

for (const [major, ES_URL] of MAJORS) {
  searchConformance(`elasticsearch ${major}`, async () => createElasticsearchStore({ REELTIME_ES_URL: ES_URL }), {
    makeDownStore: async () =>
      createElasticsearchStore(
        { REELTIME_ES_URL: `http://127.0.0.1:${await closedPort()}` },
        { retries: 2, backoffMs: 50, maxBackoffMs: 200 },
      ),
  });

  describe(`generated Elasticsearch artefacts on the real server (Elasticsearch ${major})`, () => {
    const es = new Client({ node: ES_URL });
    afterAll(() => es.close());

    /** Whether this server has the ILM API: the local integ-test build has not, a full cluster has. */
    const hasIlm = () =>
      es.ilm.getStatus().then(
        () => true,
        () => false,
      );

    it(`is an Elasticsearch ${major} server, served by the v8 client`, async () => {
      const nodes = await es.nodes.info({ node_id: "_local", metric: "settings" });
      expect(Object.values(nodes.nodes)[0]?.version).toMatch(new RegExp(`^${major}\\.`));
    });

    it("installs the ILM policy where the server has ILM, and says so plainly where it has none", async () => {
      const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
      await store.init();
      const health = await store.health();
      await store.shutdown();
      if (await hasIlm()) {
        const got = await es.ilm.getLifecycle({ name: ILM_POLICY_NAME });
        expect(got[ILM_POLICY_NAME]?.policy.phases).toMatchObject(
          (ilmPolicy() as { policy: { phases: object } }).policy.phases,
        );
        expect(health.detail ?? "").not.toMatch(/no ILM/);
      } else {
        expect(health.detail).toMatch(/no ILM: indices never roll over or expire/);
      }
    });

    it("installs every index template as generated, with the lifecycle exactly where the server has ILM", async () => {
      const ilm = await hasIlm();
      for (const [name, body] of Object.entries(indexTemplates())) {
        const sim = await es.indices
          .simulateTemplate({
            ...((ilm ? body : withoutLifecycle(body as Record<string, unknown>)) as object),
            index_patterns: [`probe-${name}*`],
          })
          .catch((err) => {
            throw new Error(`${ES_URL} refused template ${name}: ${err.message}`);
          });
        const lifecycle =
          name.startsWith("reeltime-events-") || name === DEAD_LETTER_DATA_STREAM ? ILM_POLICY_NAME : undefined;
        expect(
          (body as { template: { settings: Record<string, unknown> } }).template.settings["index.lifecycle.name"],
          name,
        ).toBe(lifecycle);
        expect(sim.template.settings?.index?.lifecycle?.name, name).toBe(ilm ? lifecycle : undefined);
      }
    });

    it("accepts every template's mappings and settings (lifecycle aside) and installs them", async () => {
      for (const [name, body] of Object.entries(indexTemplates())) {
        const sim = await es.indices.simulateTemplate({
          ...withoutLifecycle(body as Record<string, unknown>),
          index_patterns: [`probe-${name}*`],
        });
        expect(sim.template.mappings?.dynamic, name).toBe("strict");
      }
      const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
      await store.init();
      await store.shutdown();
      for (const [name, body] of Object.entries(indexTemplates())) {
        const got = await es.indices.getIndexTemplate({ name });
        const t = got.index_templates[0]?.index_template;
        expect(t?.index_patterns, name).toEqual((body as { index_patterns: string[] }).index_patterns);
        expect(t?.template?.mappings, name).toEqual((body as { template: { mappings: object } }).template.mappings);
      }
    });

    it("indexes every example event without a mapping error, into its family's data stream", async () => {
      const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
      const app = `examples-${Date.now().toString(36)}`;
      const received = new Date().toISOString();
      const events = exampleEvents().map((e) => ({ ...e, app_id: app, received_at: received }) as StoredEvent);
      try {
        const r = await store.index(events);
        expect(r.rejected).toEqual([]);
        expect(r.indexed).toBe(events.length);
        await store.refresh();
        expect((await store.lastN({ app_id: app }, 100)).length).toBe(events.length);
        for (const f of FAMILIES) {
          const backing = Object.values(await es.indices.get({ index: eventsDataStream(f) }));
          expect(backing.length, f).toBeGreaterThan(0);
          for (const b of backing) expect(b.data_stream, f).toBe(eventsDataStream(f));
        }
        await store.indexDeadLetters([
          {
            dead_letter_id: `dl-${app}`,
            stage: "ingest",
            reason: "schema",
            message: "/seq: must be an integer",
            payload: "not even JSON",
            received_at: received,
          },
        ]);
        await store.refresh();
        expect(await store.deadLetters({ reason: "schema", since: new Date(received) }, 10)).toContainEqual(
          expect.objectContaining({ dead_letter_id: `dl-${app}`, payload: "not even JSON" }),
        );
      } finally {
        await store.shutdown();
      }
    });
  });

  describe(`elasticsearch data streams (Elasticsearch ${major})`, () => {
    it("keeps event segments sorted newest first, the order of last-N reads", async () => {
      const es = new Client({ node: ES_URL });
      const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
      try {
        await store.init();
        // Settings of a template apply from the next backing index on.
        await es.indices.rollover({ alias: eventsDataStream("click") });
        const settings = await es.indices.getSettings({ index: eventsDataStream("click") });
        const write = Object.keys(settings).sort().at(-1)!;
        expect(settings[write]?.settings?.index?.sort).toEqual({
          field: ["received_at", "event_id"],
          order: ["desc", "desc"],
        });
      } finally {
        await store.shutdown();
        await es.close();
      }
    });

    it("never shows an event twice, even when a replay after a rollover writes it again", async () => {
      const es = new Client({ node: ES_URL });
      const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
      const app = `rollover-${Date.now().toString(36)}`;
      const e = { ...exampleEvents()[0]!, app_id: app, received_at: new Date().toISOString() } as StoredEvent;
      const older = {
        ...e,
        event_id: "0190a0b0-0000-7000-8000-00000000beef",
        received_at: new Date(Date.now() - 60_000).toISOString(),
      } as StoredEvent;
      try {
        expect((await store.index([e, older])).indexed).toBe(2);
        await es.indices.rollover({ alias: eventsDataStream("playback") });
        // The new write index cannot see the old one's ids: the copy is written (and counted).
        expect((await store.index([e])).indexed).toBe(1);
        await store.refresh();
        expect((await store.lastN({ app_id: app }, 10)).map((x) => x.event_id)).toEqual([e.event_id, older.event_id]);
        // The first page of two holds the newest event twice: the read pages on for the second.
        expect((await store.lastN({ app_id: app }, 2)).map((x) => x.event_id)).toEqual([e.event_id, older.event_id]);
        expect((await store.lastN({ app_id: app }, 1)).map((x) => x.event_id)).toEqual([e.event_id]);
        expect((await store.search("bunyn", { app_id: app }, 10)).length).toBe(2);
      } finally {
        await store.shutdown();
        await es.close();
      }
    });
  });

  describe(`a contract that gained a field (Elasticsearch ${major})`, () => {
    it("adds the field to an index made before it, so strict mappings accept records that carry it", async () => {
      const es = new Client({ node: ES_URL });
      const views = indexTemplates()["reeltime-views"] as {
        index_patterns: string[];
        template: { mappings: { properties: Record<string, unknown> } & Record<string, unknown> };
      };
      // An index as an older release made it: the views mapping without `weight` and `sample_rate`.
      const index = views.index_patterns[0]!.replace("*", "") || "reeltime-views";
      const { weight: _w, sample_rate: _s, ...older } = views.template.mappings.properties;
      await es.indices.delete({ index, ignore_unavailable: true });
      await es.indices.create({ index, mappings: { ...views.template.mappings, properties: older } as never });
      try {
        const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
        await store.start();
        const mapping = await es.indices.getMapping({ index });
        const props = Object.values(mapping)[0]!.mappings.properties!;
        expect(props.weight).toEqual({ type: "double" });
        expect(props.sample_rate).toEqual({ type: "double" });
        await store.shutdown();
      } finally {
        await es.indices.delete({ index, ignore_unavailable: true });
        await es.close();
      }
    });
  });
}
