import type { AthenaClient } from "@aws-sdk/client-athena";
import { type AthenaBackend, athenaBackendOnTrino, athenaService } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";
import { createAthenaEngine } from "../src/athena-engine.ts";

// The Athena stand-in that the integration tier puts in front of Trino (athena-on-trino.int.test.ts),
// here in front of a backend in a function: what it hands the backend and what the adapter reads back.
const env = { AWS_REGION: "eu-west-1", REELTIME_ATHENA_DATABASE: "db", REELTIME_ATHENA_WORKGROUP: "wg" };
const poll = { initialMs: 2, factor: 2, maxMs: 10 };

describe("athenaService (testkit)", () => {
  it("hands the backend the QueryString unchanged and the ExecutionParameters; pages Athena's text back", async () => {
    const seen: [string, string[]][] = [];
    const backend = athenaBackendOnTrino(async (sql, literals) => {
      seen.push([sql, literals]);
      return {
        columns: [
          { name: "s", type: "varchar(5)" },
          { name: "n", type: "bigint" },
          { name: "at", type: "timestamp(3)" },
        ],
        data: [
          ["It's", 9007199254740993n, "2024-05-01 07:00:01.500"],
          [null, 2, null],
          ["c", 3, "2024-05-02 00:00:00.000"],
        ],
        stats: { physicalInputBytes: 512, elapsedTimeMillis: 9 },
      };
    });
    const service = athenaService(backend, 2);
    const engine = createAthenaEngine(env, { client: service as unknown as AthenaClient, poll });
    const res = await engine.run("SELECT s, n, at FROM t WHERE s = ? AND n > ?", ["It's", 1]);
    expect(seen).toEqual([["SELECT s, n, at FROM t WHERE s = ? AND n > ?", ["'It''s'", "1"]]]);
    expect(res).toEqual({
      columns: [
        { name: "s", type: "varchar" },
        { name: "n", type: "bigint" },
        { name: "at", type: "timestamp" },
      ],
      rows: [
        { s: "It's", n: 9007199254740993n, at: new Date("2024-05-01T07:00:01.500Z") },
        { s: null, n: 2, at: null },
        { s: "c", n: 3, at: new Date("2024-05-02T00:00:00.000Z") },
      ],
      bytesScanned: 512,
      executionMs: 9,
    });
    // Four rows with the header, two a page: two GetQueryResults.
    expect(service.requests.filter((r) => r.command === "GetQueryResultsCommand")).toHaveLength(2);
  });

  it("a backend failure is a FAILED execution with its message; a stop cancels the backend", async () => {
    const failing: AthenaBackend = async () => {
      throw new Error("SYNTAX_ERROR: line 1:1: mismatched input 'SELEC'");
    };
    const engine = createAthenaEngine(env, { client: athenaService(failing) as unknown as AthenaClient, poll });
    await expect(engine.run("SELEC 1")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY",
      message: expect.stringContaining("mismatched input 'SELEC'"),
    });
    let aborted = false;
    const slow: AthenaBackend = (_sql, _params, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("USER_CANCELED"));
        }),
      );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(
      createAthenaEngine(env, { client: athenaService(slow) as unknown as AthenaClient, poll }).run("SELECT 1", [], {
        signal: ac.signal,
      }),
    ).rejects.toMatchObject({ code: "REELTIME_ERR_QUERY_CANCELLED" });
    expect(aborted).toBe(true);
  });
});
