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
import { searchConformance } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../src/ports/search.ts";
import { createElasticsearchStore } from "../../src/search/elasticsearch/index.ts";

const ES_URL = process.env.REELTIME_ES_URL ?? "http://127.0.0.1:9200";

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

searchConformance("elasticsearch", async () => createElasticsearchStore({ REELTIME_ES_URL: ES_URL }), {
  makeDownStore: async () =>
    createElasticsearchStore(
      { REELTIME_ES_URL: `http://127.0.0.1:${await closedPort()}` },
      { retries: 2, backoffMs: 50, maxBackoffMs: 200 },
    ),
});

describe("generated Elasticsearch artefacts on the real server", () => {
  const es = new Client({ node: ES_URL });
  afterAll(() => es.close());

  it("accepts the ILM policy and every index template as generated", async () => {
    const store = createElasticsearchStore({ REELTIME_ES_URL: ES_URL });
    await store.init();
    await store.shutdown();
    const policy = await es.ilm.getLifecycle({ name: ILM_POLICY_NAME });
    expect(policy[ILM_POLICY_NAME]?.policy.phases).toMatchObject(
      (ilmPolicy() as { policy: { phases: object } }).policy.phases,
    );
    for (const [name, body] of Object.entries(indexTemplates())) {
      const got = await es.indices.getIndexTemplate({ name });
      const t = got.index_templates[0]?.index_template as unknown as Record<string, unknown>;
      expect(t.index_patterns, name).toEqual((body as { index_patterns: string[] }).index_patterns);
      const sim = await es.indices.simulateIndexTemplate({
        name: String(t.index_patterns?.toString()).replace("*", ""),
      });
      expect(sim.template.mappings?.dynamic, name).toBe("strict");
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
        const ds = await es.indices.getDataStream({ name: eventsDataStream(f) });
        expect(ds.data_streams[0]?.template, f).toBe(eventsDataStream(f));
        expect(ds.data_streams[0]?.ilm_policy, f).toBe(ILM_POLICY_NAME);
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
      expect((await es.indices.getDataStream({ name: DEAD_LETTER_DATA_STREAM })).data_streams[0]?.ilm_policy).toBe(
        ILM_POLICY_NAME,
      );
    } finally {
      await store.shutdown();
    }
  });
});
