// The write and read guards are onRequest hooks, each in the encapsulated context of its own route
// group: they answer before a body is read or a query validated, and reach no route outside
// their group.
import { exampleEvent } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, gzip, type Harness, harness, READ_TOKEN, WRITE_KEY } from "./helpers.ts";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

type Headers = Record<string, string>;
const post = (url: string, payload: string | Buffer, headers: Headers = {}) =>
  h.app.inject({ method: "POST", url, payload, headers: { "content-type": "application/json", ...headers } });
const get = (url: string, headers: Headers = {}) => h.app.inject({ method: "GET", url, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the write guard answers before the body is read", () => {
  it("malformed JSON: 401 without a key, 400 with one", async () => {
    const anonymous = await post("/v1/events", "{nope");
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe("REELTIME_ERR_AUTH");
    const keyed = await post("/v1/events", "{nope", { "x-reeltime-key": WRITE_KEY });
    expect(keyed.statusCode).toBe(400);
    expect(keyed.json().error.code).toBe("REELTIME_ERR_JSON");
  });

  it("a compressed body is not inflated for a caller without a key", async () => {
    const bomb = gzip({ events: [{ pad: "y".repeat(2_000_000) }] });
    const anonymous = await post("/v1/cmcd", bomb, { "content-encoding": "gzip" });
    expect(anonymous.statusCode).toBe(401);
    const keyed = await post("/v1/cmcd", bomb, { "content-encoding": "gzip", "x-reeltime-key": WRITE_KEY });
    expect(keyed.statusCode).toBe(413);
    expect(keyed.json().error.code).toBe("REELTIME_ERR_TOO_LARGE");
  });

  it("an accepted call reaches the route with the key's app", async () => {
    const res = await post("/v1/events", JSON.stringify([exampleEvent("click")]), { "x-reeltime-key": WRITE_KEY });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().accepted).toBe(1);
  });
});

describe("the read guard answers before the query is validated", () => {
  for (const url of ["/v1/events/last?n=abc", "/v1/search", "/v1/stats?minutes=1"]) {
    it(url, async () => {
      const anonymous = await get(url);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().error.code).toBe("REELTIME_ERR_AUTH");
      const withToken = await get(url, bearer(READ_TOKEN));
      expect(withToken.statusCode).toBe(400);
      expect(withToken.json().error.code).toBe("REELTIME_ERR_QUERY");
    });
  }

  it("/v1/stats keeps a token to its own app", async () => {
    expect((await get("/v1/stats?app=tv", bearer(READ_TOKEN))).statusCode).toBe(403);
    expect((await get("/v1/stats?app=tv", bearer(ADMIN_TOKEN))).statusCode).toBe(200);
  });
});

describe("each guard stays in its own group", () => {
  it("probes, metrics and the live page need no credentials", async () => {
    for (const url of ["/healthz", "/readyz", "/metrics", "/live", "/live/app.js"])
      expect((await get(url)).statusCode, url).toBe(200);
  });

  it("a file the live page does not have is a 404 in the project's error shape, from the error table", async () => {
    const res = await get("/live/secrets.txt");
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.json().error.code).toBe("REELTIME_ERR_NOT_FOUND");
    expect(res.json().error.message).toMatch(
      /no file secrets\.txt in the live view \(its files: index\.html, app\.js, style\.css\)/,
    );
  });

  it("a write key does not pass the read guard, nor a read token the write guard", async () => {
    const read = await get("/v1/events/last", { "x-reeltime-key": WRITE_KEY });
    expect(read.statusCode).toBe(401);
    expect(read.json().error.message).toMatch(/read token/);
    const write = await post("/v1/events", JSON.stringify([exampleEvent("click")]), bearer(READ_TOKEN));
    expect(write.statusCode).toBe(401);
    expect(write.json().error.message).toMatch(/write key/);
  });

  it("an unknown route is a 404, not a guard's 401", async () => {
    const res = await get("/v1/nothing-here");
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("REELTIME_ERR_NOT_FOUND");
  });
});
