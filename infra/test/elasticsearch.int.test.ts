import { randomUUID } from "node:crypto";
import { Client } from "@elastic/elasticsearch";
import { afterAll, describe, expect, it } from "vitest";
import { elasticsearchMajors } from "../src/local/endpoints.ts";

// Both local majors (elasticsearch on 9200, elasticsearch9 on 9201), through the one v8 client.
describe.each(elasticsearchMajors())("local Elasticsearch $major (@elastic/elasticsearch v8)", ({ major, url }) => {
  const client = new Client({ node: url });
  const index = `infra-smoke-${randomUUID()}`;

  afterAll(async () => {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => undefined);
    await client.close();
  });

  it(`is an Elasticsearch ${major} cluster that is green or yellow`, async () => {
    const health = await client.cluster.health();
    expect(["green", "yellow"]).toContain(health.status);
    const nodes = await client.nodes.info({ node_id: "_local", metric: "settings" });
    expect(Object.values(nodes.nodes)[0]?.version).toMatch(new RegExp(`^${major}\\.`));
  });

  it("indexes with op_type create (a duplicate id is a 409) and finds documents with typos", async () => {
    await client.indices.create({
      index,
      settings: { number_of_replicas: 0 },
      mappings: {
        properties: { title: { type: "text" }, attributes: { type: "flattened" }, "@timestamp": { type: "date" } },
      },
    });
    const doc = {
      title: "Big Buck Bunny trailer",
      attributes: { cdn: "edge-1" },
      "@timestamp": new Date().toISOString(),
    };
    await client.create({ index, id: "evt-1", document: doc, refresh: "wait_for" });
    await expect(client.create({ index, id: "evt-1", document: doc })).rejects.toMatchObject({
      meta: { statusCode: 409 },
    });

    const res = await client.search<typeof doc>({
      index,
      query: { match: { title: { query: "bunnny", fuzziness: "AUTO" } } },
    });
    expect(res.hits.hits.map((h) => h._id)).toEqual(["evt-1"]);
    const byAttr = await client.search({ index, query: { term: { "attributes.cdn": "edge-1" } } });
    expect(byAttr.hits.hits).toHaveLength(1);
  });
});
