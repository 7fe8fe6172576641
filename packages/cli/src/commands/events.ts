import type { Command } from "commander";

export function registerEvents(program: Command): void {
  program.command("events").description("the event contract: list, schema, example, validate");
}
