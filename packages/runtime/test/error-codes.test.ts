import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode, isErrorCode } from "../src/error-codes.ts";
import { ReeltimeError, unavailable } from "../src/errors.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SKIP = new Set(["node_modules", "dist", ".git", ".reeltime", "coverage"]);
const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|html)$/;
const TABLE = "packages/runtime/src/error-codes.ts";
const DOC = "docs/errors.md";

/** Every text file of the repository, outside dependencies and build output. */
function sourceFiles(dir = ROOT, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(path, out);
    else if (TEXT.test(e.name)) out.push(path);
  }
  return out;
}

/** REELTIME_ERR_ literals by file (ignores the `REELTIME_ERR_*` wildcard in prose). */
function literals(): Map<string, string[]> {
  const byCode = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const rel = relative(ROOT, file);
    for (const m of readFileSync(file, "utf8").matchAll(/REELTIME_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*/g))
      byCode.set(m[0], [...(byCode.get(m[0]) ?? []), rel]);
  }
  return byCode;
}

describe("the error table", () => {
  const found = literals();

  it("holds every REELTIME_ERR_ code written anywhere in the tree", () => {
    const missing = [...found].filter(([code]) => !isErrorCode(code)).map(([c, f]) => `${c} (${[...new Set(f)]})`);
    expect(missing).toEqual([]);
    // The scan sees the codes raised across the workspaces, not just the table.
    expect(found.get("REELTIME_ERR_NOT_A_VIDEO")).toContain("pipeline/src/errors.ts");
    expect(found.get("REELTIME_ERR_BUS_UNAVAILABLE")).toContain("ingest-api/src/routes/v1/accept.ts");
  });

  it("holds no code that nothing raises or names", () => {
    const unused = Object.keys(ERRORS).filter((c) => (found.get(c) ?? []).every((f) => f === TABLE || f === DOC));
    expect(unused).toEqual([]);
  });

  it("no code is assembled at run time", () => {
    const templated: string[] = [];
    for (const file of sourceFiles()) {
      if (!file.endsWith(".ts")) continue;
      // `REELTIME_ERR_${string}` is the table's key type; any other interpolation builds a code.
      if (/REELTIME_ERR_\$\{(?!string\})/.test(readFileSync(file, "utf8"))) templated.push(relative(ROOT, file));
    }
    expect(templated).toEqual([]);
  });

  it("every entry has a status a client can read, and a one-line meaning", () => {
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(e.status, code).toBeGreaterThanOrEqual(400);
      expect(e.status, code).toBeLessThan(600);
      expect(e.meaning.length, code).toBeGreaterThan(10);
      expect(e.meaning, code).not.toMatch(/\n/);
    }
  });
});

describe("ReeltimeError", () => {
  it("takes its status and retryability from the table", () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const err = new ReeltimeError(code, "x");
      expect(err.status, code).toBe(ERRORS[code].status);
      expect(err.retryable, code).toBe(ERRORS[code].retryable);
    }
    // The statuses the connectors' conformance suites and the ingest API rely on.
    expect(new ReeltimeError("REELTIME_ERR_BUS_MESSAGE_TOO_LARGE", "x")).toMatchObject({
      status: 413,
      retryable: false,
    });
    expect(new ReeltimeError("REELTIME_ERR_SEARCH_REJECTED", "x")).toMatchObject({ status: 400, retryable: false });
    expect(new ReeltimeError("REELTIME_ERR_NOT_FOUND", "x")).toMatchObject({ status: 404, retryable: false });
  });

  it("unavailable() names each service's outage code, a retryable 503", () => {
    const expected = {
      bus: "REELTIME_ERR_BUS_UNAVAILABLE",
      search: "REELTIME_ERR_SEARCH_UNAVAILABLE",
      archive: "REELTIME_ERR_ARCHIVE_UNAVAILABLE",
      query: "REELTIME_ERR_QUERY_UNAVAILABLE",
    } as const;
    for (const [service, code] of Object.entries(expected)) {
      const err = unavailable(service as keyof typeof expected, "down");
      expect(err).toMatchObject({ code, status: 503, retryable: true, message: `${service} unavailable: down` });
    }
  });

  it("only a relaying code carries a remote status", () => {
    const relayed = new ReeltimeError("REELTIME_ERR_DASHBOARD_IMPORT", "HTTP 401", { upstreamStatus: 401 });
    expect(relayed.status).toBe(401);
    // @ts-expect-error a code that relays nothing cannot carry another status
    void new ReeltimeError("REELTIME_ERR_AUTH", "x", { upstreamStatus: 500 });
    // A string is not a code (split so that the scan above does not read it as one).
    const notACode = "REELTIME_ERR_" + "NOT_IN_THE_TABLE";
    // @ts-expect-error only keys of the table are codes
    const cast = new ReeltimeError(notACode, "x");
    expect(cast).toMatchObject({ status: 500, retryable: false });
  });
});
