import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ERRORS, type ErrorCode, ReeltimeError } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ERRORS_DOC, errorsMarkdown } from "../src/commands/errors.ts";
import { exitCodeOf } from "../src/exit-codes.ts";
import { main, notInstalled } from "../src/main.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The codes that were thrown with exit status 2 when call sites still passed it (usage errors). */
const USAGE_BEFORE = new Set([
  "REELTIME_ERR_USAGE",
  "REELTIME_ERR_CONFIG",
  "REELTIME_ERR_INPUT",
  "REELTIME_ERR_UNKNOWN_TYPE",
  "REELTIME_ERR_ARCHIVE_AUTH",
  "REELTIME_ERR_ARCHIVE_KEY",
  "REELTIME_ERR_QUERY_COST",
  "REELTIME_ERR_SEARCH_FILTER",
  "REELTIME_ERR_SEARCH_LIMIT",
  "REELTIME_ERR_SEARCH_DEAD_LETTER",
]);

/** Usage codes added since (each with the reason its exit status is 2). */
const USAGE_SINCE = new Set([
  // An operator ran a command in an image that leaves its workspace out: fix the invocation.
  "REELTIME_ERR_NOT_INSTALLED",
  // A webhook URL that is not http(s) or points at a non-public address: the operator registers another URL.
  "REELTIME_ERR_WEBHOOK_TARGET",
  // A CDN log location that is not s3:// or an existing path: the operator names another location.
  "REELTIME_ERR_CDN_SOURCE",
  // A real-time log field list CloudFront does not have or without the fields of a request: fix --fields.
  "REELTIME_ERR_CDN_FIELDS",
]);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => {
    err += String(c);
    return true;
  });
  process.exitCode = undefined;
  try {
    return { code: await main(["node", "reeltime", ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-errors-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("exit statuses come from the error table", () => {
  it("every code exits as it did when call sites passed the status: 2 for usage errors, 1 otherwise", () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[])
      expect(exitCodeOf(new ReeltimeError(code, "x")), code).toBe(
        USAGE_BEFORE.has(code) || USAGE_SINCE.has(code) ? 2 : 1,
      );
  });

  it("the CLI exits with the status of the error it hit and prints its code", async () => {
    const usage = await cli("dev", "--port", "70000");
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("[REELTIME_ERR_USAGE]");

    const unknown = await cli("events", "example", "no.such_type");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("[REELTIME_ERR_UNKNOWN_TYPE]");

    const stale = join(dir, "errors.md");
    await writeFile(stale, "# out of date\n");
    const failure = await cli("errors", "--check", stale);
    expect(failure.code).toBe(1);
    expect(failure.err).toContain("[REELTIME_ERR_GENERATED_STALE]");
  });
});

describe("docs/errors.md", () => {
  it("is current (run `npx reeltime errors --write docs/errors.md`)", async () => {
    expect(await readFile(join(ROOT, ERRORS_DOC), "utf8")).toBe(errorsMarkdown());
  });

  it("lists every code once, with its status and exit status", () => {
    const md = errorsMarkdown();
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const rows = md.split("\n").filter((l) => l.startsWith(`| \`${code}\` |`));
      expect(rows, code).toHaveLength(1);
      const [, status, , exit] = rows[0]!.split(" | ");
      expect(Number.parseInt(status!, 10), code).toBe(ERRORS[code].status);
      expect(Number(exit), code).toBe(USAGE_BEFORE.has(code) || USAGE_SINCE.has(code) ? 2 : 1);
    }
  });

  it("`reeltime errors --write` writes what --check accepts", async () => {
    const file = join(dir, "written.md");
    expect((await cli("errors", "--write", file)).code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(errorsMarkdown());
    expect((await cli("errors", "--check", file)).code).toBe(0);
  });
});

describe("a command whose workspace is not installed", () => {
  const failedImport = async (specifier: string) => {
    try {
      await import(specifier);
    } catch (err) {
      return err;
    }
    throw new Error(`${specifier} was importable`);
  };

  it("is one line naming the missing @reeltime package, as a usage error", async () => {
    const err = notInstalled(await failedImport("@reeltime/no-such-workspace"));
    expect(err?.code).toBe("REELTIME_ERR_NOT_INSTALLED");
    expect(err?.message).toContain("this command needs @reeltime/no-such-workspace");
    expect(err?.message).not.toContain("\n");
    expect(exitCodeOf(err!)).toBe(2);
  });

  it("leaves other failures alone (a missing third-party package is a bug, not a role's image)", async () => {
    expect(notInstalled(await failedImport("no-such-package-reeltime"))).toBeUndefined();
    expect(notInstalled(new Error("Cannot find package '@reeltime/x'"))).toBeUndefined();
  });
});

describe("reeltime replay --notification", () => {
  it("an unknown notification is one line, REELTIME_ERR_NOT_FOUND, exit 1", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "reeltime-cli-resend-"));
    const before = process.env.REELTIME_DATA_DIR;
    process.env.REELTIME_DATA_DIR = dataDir;
    try {
      const r = await cli("replay", "--notification", "ntf-unknown");
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        "reeltime: no notification ntf-unknown to resend (unknown id, or its endpoint was deleted) [REELTIME_ERR_NOT_FOUND]\n",
      );
    } finally {
      if (before === undefined) delete process.env.REELTIME_DATA_DIR;
      else process.env.REELTIME_DATA_DIR = before;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
