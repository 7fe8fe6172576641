import { ReeltimeError } from "@reeltime/runtime";
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.ts";
import { EXIT_CODES, exitCodeOf } from "./exit-codes.ts";

/** Builds the `reeltime` program with every subcommand registered; nothing is parsed yet. */
export function buildProgram(): Command {
  const program = new Command("reeltime")
    .description("reeltime: telemetry for video platforms (pipeline, player SDK, ingest, processors, dashboards)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * A command whose workspace this installation leaves out: each role's image holds only the
 * workspaces that role runs (infra/deploy/docker), and the CLI loads a command's app lazily.
 * Node's "Cannot find package '@reeltime/x'" becomes one line naming the package.
 */
export function notInstalled(err: unknown): ReeltimeError | undefined {
  if (!(err instanceof Error) || (err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") return undefined;
  const pkg = /Cannot find package '(@reeltime\/[a-z0-9-]+)'/.exec(err.message)?.[1];
  if (!pkg) return undefined;
  return new ReeltimeError(
    "REELTIME_ERR_NOT_INSTALLED",
    `this command needs ${pkg}, which this installation does not have (each image holds only its role's workspaces; run the command where ${pkg} is installed, or from a full checkout after npm ci)`,
  );
}

/** Runs the CLI and returns the process exit code (0 ok, 1 failure, 2 usage error; src/exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (caught) {
    const err = notInstalled(caught) ?? caught;
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help")
        return 0;
      return EXIT_CODES.usage;
    }
    if (err instanceof ReeltimeError) {
      process.stderr.write(`reeltime: ${err.message} [${err.code}]\n`);
      return exitCodeOf(err);
    }
    process.stderr.write(
      `reeltime: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT_CODES.failure;
  }
}
