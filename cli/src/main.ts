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

/** Runs the CLI and returns the process exit code (0 ok, 1 failure, 2 usage error; src/exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
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
