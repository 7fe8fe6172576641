import { describe, expect, it } from "vitest";
import { parseJson, trinoValue, typeName } from "../src/results.ts";
import { createTrinoEngine } from "../src/trino-engine.ts";

const env = {
  REELTIME_TRINO_URL: "http://trino.test:8090/",
  REELTIME_TRINO_CATALOG: "hive",
  REELTIME_TRINO_SCHEMA: "reeltime_db",
  REELTIME_TRINO_USER: "analyst",
};

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * A Trino coordinator in a function: answers each request with the next scripted response (a
 * status and a JSON body text) and keeps what was sent. No network.
 */
function coordinator(script: { status?: number; body: string }[]) {
  const sent: Sent[] = [];
  const fake = (async (url: string | URL, init: RequestInit = {}) => {
    sent.push({
      method: init.method ?? "GET",
      url: String(url),
      headers: { ...(init.headers as Record<string, string>) },
      ...(typeof init.body === "string" ? { body: init.body } : {}),
    });
    if (init.method === "DELETE") return new Response(null, { status: 204 });
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const next = script.shift();
    // Nothing more scripted: the query runs on until the request is aborted, as real fetch does.
    if (!next)
      return new Promise<Response>((_, reject) =>
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true }),
      );
    return new Response(next.body, { status: next.status ?? 200 });
  }) as typeof fetch;
  return { fetch: fake, sent };
}

const page = (o: Record<string, unknown>) => ({ body: JSON.stringify({ id: "q1", ...o }) });

describe("trino engine: the exact requests", () => {
  it("prepares the SQL unchanged in a header and executes it USING each parameter's literal", async () => {
    const c = coordinator([
      page({ nextUri: "http://trino.test:8090/v1/statement/queued/q1/1", stats: { state: "QUEUED" } }),
      page({
        nextUri: "http://trino.test:8090/v1/statement/executing/q1/2",
        columns: [
          { name: "n", type: "bigint" },
          { name: "title", type: "varchar" },
        ],
        data: [[1, "a"]],
        stats: { state: "RUNNING" },
      }),
      {
        body:
          '{"id":"q1","columns":[{"name":"n","type":"bigint"},{"name":"title","type":"varchar"}],' +
          '"data":[[9007199254740993,null]],"stats":{"state":"FINISHED","physicalInputBytes":2048,"processedBytes":4096,"elapsedTimeMillis":37}}',
      },
    ]);
    const engine = createTrinoEngine(env, { fetch: c.fetch });
    const sql =
      "SELECT n, title FROM views WHERE dt = ? AND title = ? AND seq > ? AND w < ? AND muted = ? AND at >= ? AND x IS DISTINCT FROM ?";
    const res = await engine.run(sql, [
      "2026-11-20",
      `O'Brien's "cut" -- ?`,
      42,
      0.25,
      false,
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      null,
    ]);
    expect(c.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST http://trino.test:8090/v1/statement",
      "GET http://trino.test:8090/v1/statement/queued/q1/1",
      "GET http://trino.test:8090/v1/statement/executing/q1/2",
    ]);
    const first = c.sent[0]!;
    expect(first.body).toBe(
      `EXECUTE reeltime_statement USING '2026-11-20', 'O''Brien''s "cut" -- ?', 42, 2.5E-1, FALSE, TIMESTAMP '2024-01-02 03:04:05.006', NULL`,
    );
    expect(first.headers).toEqual({
      "X-Trino-User": "analyst",
      "X-Trino-Catalog": "hive",
      "X-Trino-Schema": "reeltime_db",
      "X-Trino-Source": "reeltime",
      "X-Trino-Prepared-Statement": `reeltime_statement=${encodeURIComponent(sql)}`,
    });
    // Every request of the query carries the session and the prepared statement.
    for (const s of c.sent) expect(s.headers).toEqual(first.headers);
    expect(res).toEqual({
      columns: [
        { name: "n", type: "bigint" },
        { name: "title", type: "varchar" },
      ],
      rows: [
        { n: 1, title: "a" },
        { n: 9007199254740993n, title: null },
      ],
      bytesScanned: 2048,
      executionMs: 37,
    });
  });

  it("sends SQL without parameters as it is, with no prepared statement", async () => {
    const c = coordinator([page({ columns: [{ name: "one", type: "integer" }], data: [[1]], stats: {} })]);
    const res = await createTrinoEngine(env, { fetch: c.fetch }).run("SELECT 1 AS one");
    expect(c.sent[0]!.body).toBe("SELECT 1 AS one");
    expect(c.sent[0]!.headers["X-Trino-Prepared-Statement"]).toBeUndefined();
    expect(res.rows).toEqual([{ one: 1 }]);
  });

  it("refuses a wrong parameter count before any request", async () => {
    const c = coordinator([]);
    const engine = createTrinoEngine(env, { fetch: c.fetch });
    await expect(engine.run("SELECT ? AS a, '?' AS b -- ?", [])).rejects.toMatchObject({ code: "REELTIME_ERR_QUERY" });
    await expect(engine.run("SELECT 1", [Number.NaN])).rejects.toMatchObject({ code: "REELTIME_ERR_QUERY" });
    expect(c.sent).toEqual([]);
  });

  it("a user error is REELTIME_ERR_QUERY with Trino's reason; other failures are retryable", async () => {
    const c = coordinator([
      page({
        error: {
          message: "line 1:15: Table 'hive.reeltime_db.nope' does not exist",
          errorName: "TABLE_NOT_FOUND",
          errorType: "USER_ERROR",
        },
        stats: { state: "FAILED" },
      }),
      page({
        error: { message: "Failed to list directory", errorName: "HIVE_FILESYSTEM_ERROR", errorType: "EXTERNAL" },
      }),
    ]);
    const engine = createTrinoEngine(env, { fetch: c.fetch });
    await expect(engine.run("SELECT * FROM nope")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY",
      message: expect.stringContaining("TABLE_NOT_FOUND: line 1:15: Table 'hive.reeltime_db.nope' does not exist"),
    });
    await expect(engine.run("SELECT * FROM views")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_UNAVAILABLE",
      retryable: true,
    });
  });

  it("retries 503 with backoff, as the protocol asks; an unreachable coordinator is retryable", async () => {
    const c = coordinator([
      { status: 503, body: "busy" },
      { status: 503, body: "busy" },
      page({ columns: [{ name: "one", type: "integer" }], data: [[1]], stats: {} }),
    ]);
    expect((await createTrinoEngine(env, { fetch: c.fetch }).run("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    expect(c.sent.map((s) => s.method)).toEqual(["POST", "POST", "POST"]);
    const down = (async () => {
      throw new TypeError("fetch failed: connect ECONNREFUSED 127.0.0.1:8090");
    }) as typeof fetch;
    await expect(createTrinoEngine(env, { fetch: down }).run("SELECT 1")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_UNAVAILABLE",
      retryable: true,
    });
  });

  it("cancels the query with DELETE on its nextUri when the signal fires", async () => {
    const c = coordinator([page({ nextUri: "http://trino.test:8090/v1/statement/executing/q1/1", stats: {} })]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(
      createTrinoEngine(env, { fetch: c.fetch }).run("SELECT 1", [], { signal: ac.signal }),
    ).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_CANCELLED",
    });
    expect(c.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST http://trino.test:8090/v1/statement",
      "GET http://trino.test:8090/v1/statement/executing/q1/1",
      "DELETE http://trino.test:8090/v1/statement/executing/q1/1",
    ]);
    await expect(
      createTrinoEngine(env, { fetch: c.fetch }).run("SELECT 1", [], { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: "REELTIME_ERR_QUERY_CANCELLED" });
  });

  it("health asks /v1/info", async () => {
    const c = coordinator([{ body: '{"nodeVersion":{"version":"476"},"starting":false}' }]);
    expect(await createTrinoEngine(env, { fetch: c.fetch }).health()).toEqual({
      ok: true,
      driver: "trino",
      detail: "http://trino.test:8090 Trino 476, hive.reeltime_db",
    });
    expect(c.sent[0]!.url).toBe("http://trino.test:8090/v1/info");
  });
});

describe("trino values", () => {
  it("types Trino's JSON values by column type, integers exact", () => {
    expect(parseJson('{"a":[9007199254740993,12,1.5,-9223372036854775808]}')).toEqual({
      a: [9007199254740993n, 12, 1.5, -9223372036854775808n],
    });
    expect(trinoValue(9007199254740993n, "bigint")).toBe(9007199254740993n);
    expect(trinoValue(7, "integer")).toBe(7);
    expect(trinoValue("NaN", "double")).toBeNaN();
    expect(trinoValue("12.50", "decimal(10,2)")).toBe(12.5);
    expect(trinoValue(true, "boolean")).toBe(true);
    expect(trinoValue("2024-05-01 07:00:01.123456", "timestamp(6)")).toEqual(new Date("2024-05-01T07:00:01.123Z"));
    expect(trinoValue("2024-05-01 07:00:01.000 UTC", "timestamp(3) with time zone")).toEqual(
      new Date("2024-05-01T07:00:01Z"),
    );
    expect(trinoValue("2024-05-01", "date")).toBe("2024-05-01");
    expect(trinoValue(null, "varchar")).toBeNull();
  });

  it("names types as Athena does", () => {
    expect(typeName("varchar(4)")).toBe("varchar");
    expect(typeName("timestamp(3)")).toBe("timestamp");
    expect(typeName("timestamp(3) with time zone")).toBe("timestamp with time zone");
    expect(typeName("decimal(5, 2)")).toBe("decimal(5, 2)");
    expect(typeName("array(varchar)")).toBe("array(varchar)");
  });
});
