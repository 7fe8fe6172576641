import { errorHandler } from "@reeltime/http";
import { ERRORS, type ErrorCode, ReeltimeError, unavailable } from "@reeltime/runtime";
import Fastify from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, READ_TOKEN, WRITE_KEY } from "./helpers.ts";

/** The statuses the API answered with before the error table existed (ingest-api's old API_ERRORS). */
const OLD_API_STATUSES: Record<string, number> = {
  REELTIME_ERR_AUTH: 401,
  REELTIME_ERR_FORBIDDEN: 403,
  REELTIME_ERR_CORS: 403,
  REELTIME_ERR_BODY: 400,
  REELTIME_ERR_JSON: 400,
  REELTIME_ERR_SCHEMA: 400,
  REELTIME_ERR_QUERY: 400,
  REELTIME_ERR_TOO_LARGE: 413,
  REELTIME_ERR_HEADERS_TOO_LARGE: 431,
  REELTIME_ERR_MEDIA_TYPE: 415,
  REELTIME_ERR_RATE_LIMITED: 429,
  REELTIME_ERR_BUS_UNAVAILABLE: 503,
  REELTIME_ERR_SEARCH_UNAVAILABLE: 503,
  REELTIME_ERR_OVERLOADED: 503,
  REELTIME_ERR_INTERNAL: 500,
};

describe("the error handler answers every ReeltimeError from the table", () => {
  const app = Fastify();
  app.setErrorHandler(errorHandler({ bodyLimitBytes: 1000 }));
  app.get<{ Params: { code: string } }>("/throw/:code", async (req) => {
    throw new ReeltimeError(req.params.code as ErrorCode, `detail of ${req.params.code}`);
  });
  afterAll(() => app.close());

  it("keeps every status the API answered with before", async () => {
    for (const [code, status] of Object.entries(OLD_API_STATUSES)) {
      const res = await app.inject(`/throw/${code}`);
      expect(res.statusCode, code).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
  });

  it("answers each code with the table's status, in the {error:{code,message}} shape", async () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const res = await app.inject(`/throw/${code}`);
      expect(res.statusCode, code).toBe(ERRORS[code].status);
      const body = res.json();
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error.code).toBe(code);
      // A 4xx says what to change; a 5xx keeps its detail in the log.
      if (res.statusCode < 500) expect(body.error.message).toBe(`detail of ${code}`);
      else expect(body.error.message).not.toContain("detail of");
    }
  });

  it("a code cast past the types is a logged 500, not a crash of the handler", async () => {
    const res = await app.inject("/throw/NOT_A_CODE");
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe("REELTIME_ERR_INTERNAL");
  });

  it("a relayed upstream status does not become the API's status", async () => {
    const relay = Fastify();
    relay.setErrorHandler(errorHandler({ bodyLimitBytes: 1000 }));
    relay.get("/", async () => {
      throw new ReeltimeError("REELTIME_ERR_SEARCH", "ES said 400", { upstreamStatus: 400 });
    });
    const res = await relay.inject("/");
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe("REELTIME_ERR_SEARCH");
    await relay.close();
  });
});

describe("read routes: only an outage of the store is a 503", () => {
  let h: Harness;
  let failure: unknown;
  beforeAll(async () => {
    h = await harness();
    // The routes' store fails with `failure` while a test sets one.
    for (const m of ["lastN", "search"] as const) {
      const store = h.search as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const real = store[m]!;
      store[m] = async (...a: unknown[]) => {
        if (failure !== undefined) throw failure;
        return real.apply(h.search, a);
      };
    }
  });
  afterEach(() => {
    failure = undefined;
  });
  afterAll(() => h.close());

  const get = (url: string) => h.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${READ_TOKEN}` } });

  it("a store that is down: 503 with Retry-After and today's message, without the store's address", async () => {
    failure = unavailable("search", "_search failed at http://10.1.2.3:9200 after 3 attempts: ECONNREFUSED");
    for (const url of ["/v1/events/last", "/v1/search?q=x", "/v1/stats"]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(503);
      expect(res.headers["retry-after"], url).toBe("5");
      expect(res.json(), url).toEqual({
        error: { code: "REELTIME_ERR_SEARCH_UNAVAILABLE", message: "the search store is unavailable; retry shortly" },
      });
      expect(res.body).not.toContain("10.1.2.3");
    }
  });

  it("a store that refuses a filter: a 400 that says what to change", async () => {
    failure = new ReeltimeError("REELTIME_ERR_SEARCH_FILTER", "filter.from must be a valid Date");
    const res = await get("/v1/events/last");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: "REELTIME_ERR_SEARCH_FILTER", message: "filter.from must be a valid Date" },
    });
  });

  it("a store that fails for another reason is not a 503 and is not retried by the client", async () => {
    failure = new ReeltimeError("REELTIME_ERR_SEARCH", "_search failed: HTTP 400 parsing_exception", {
      upstreamStatus: 400,
    });
    const refused = await get("/v1/search?q=x");
    expect(refused.statusCode).toBe(502);
    expect(refused.headers["retry-after"]).toBeUndefined();
    expect(refused.json().error.code).toBe("REELTIME_ERR_SEARCH");

    failure = new TypeError("Cannot read properties of undefined (reading 'hits')");
    const bug = await get("/v1/events/last");
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toEqual({
      error: { code: "REELTIME_ERR_INTERNAL", message: "unexpected error; it has been logged" },
    });
  });

  it("once the store answers again, so do the routes", async () => {
    const res = await get("/v1/events/last");
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe("refusals before any route keep their bodies", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());
  const post = (payload: string, headers: Record<string, string>) =>
    h.app.inject({
      method: "POST",
      url: "/v1/events",
      payload,
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY, ...headers },
    });

  it("bad JSON, an unsupported charset or encoding, an unknown route", async () => {
    const json = await post("{nope", {});
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe("REELTIME_ERR_JSON");
    expect(json.json().error.message).toMatch(/^the body is not valid JSON: /);

    const charset = await post("[]", { "content-type": "application/json; charset=latin1" });
    expect(charset.statusCode).toBe(415);
    expect(charset.json()).toEqual({
      error: {
        code: "REELTIME_ERR_MEDIA_TYPE",
        message: 'charset "latin1" is not supported; send UTF-8 (Content-Type: application/json; charset=utf-8)',
      },
    });

    const encoding = await post("x", { "content-encoding": "br" });
    expect(encoding.statusCode).toBe(415);
    expect(encoding.json()).toEqual({
      error: {
        code: "REELTIME_ERR_MEDIA_TYPE",
        message: 'content-encoding "br" is not supported; send gzip, deflate or none',
      },
    });

    const route = await h.app.inject("/v2/nothing?key=secret");
    expect(route.statusCode).toBe(404);
    expect(route.json()).toEqual({ error: { code: "REELTIME_ERR_NOT_FOUND", message: "no route GET /v2/nothing" } });
  });
});
