import { ERRORS, type ErrorCode, ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";
import { EXIT_CODES, EXIT_UNHEALTHY } from "../exit-codes.ts";

/** Where the generated reference lives, from the repository root. */
export const ERRORS_DOC = "docs/errors.md";

/** docs/errors.md: every error code with its HTTP status, retryability, exit status and meaning. */
export function errorsMarkdown(): string {
  const out = [
    "# Error codes",
    "",
    "<!-- generated from packages/runtime/src/error-codes.ts by `reeltime errors --write docs/errors.md`; do not edit -->",
    "",
    "Every error reeltime raises has a stable `REELTIME_ERR_*` code from one table",
    "(`ERRORS` in `@reeltime/runtime`); this page is generated from it and a unit test checks",
    "that it is current (`npm run generate` rewrites it).",
    "",
    "- **HTTP**: the ingest API answers a code with this status and the body",
    '  `{"error":{"code":"…","message":"…"}}`. A 4xx message says what to change; a 5xx message is',
    "  the meaning below (the detail is in the server's log). A retryable 503 carries `Retry-After`.",
    "  Processors also read the status: a 4xx other than 401/403/404/408/429 means the message",
    "  itself cannot be handled (it goes to dead letters), anything else is retried.",
    "- **Retryable**: the same call can succeed later without any change.",
    `- **Exit**: the status \`reeltime\` exits with: 0 ok, ${EXIT_CODES.failure} failure, ${EXIT_CODES.usage} usage`,
    `  (a command, its input or a setting is wrong), ${EXIT_UNHEALTHY} when \`reeltime infra status\` finds a`,
    "  service unhealthy. An error prints `reeltime: <message> [<code>]`.",
    "- **Relays upstream**: the error may carry the status the remote service answered in its",
    "  `status` field; the API still answers with the status here.",
    "",
    "| code | HTTP | retryable | exit | meaning |",
    "|---|---|---|---|---|",
  ];
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const e = ERRORS[code];
    const upstream = "upstream" in e ? " (relays upstream)" : "";
    out.push(
      `| \`${code}\` | ${e.status}${upstream} | ${e.retryable ? "yes" : "no"} | ${EXIT_CODES[e.exit]} | ${e.meaning.replaceAll("|", "\\|")} |`,
    );
  }
  return `${out.join("\n")}\n`;
}

export function registerErrors(program: Command): void {
  program
    .command("errors")
    .description("print every error code with its HTTP status, retryability, exit status and meaning (markdown)")
    .option("--write <file>", `write the reference to this file (${ERRORS_DOC})`)
    .option("--check <file>", "only check that this file is current (exit 1 if not)")
    .action(async (o: { write?: string; check?: string }) => {
      const md = errorsMarkdown();
      const { readFile, writeFile } = await import("node:fs/promises");
      if (o.check) {
        const current = await readFile(o.check, "utf8").catch(() => "");
        if (current !== md)
          throw new ReeltimeError(
            "REELTIME_ERR_GENERATED_STALE",
            `${o.check} differs from the error table; run \`reeltime errors --write ${o.check}\` and commit`,
          );
        return void process.stdout.write(`${o.check} is current\n`);
      }
      if (!o.write) return void process.stdout.write(md);
      await writeFile(o.write, md);
      process.stdout.write(`wrote the error reference to ${o.write}\n`);
    });
}
