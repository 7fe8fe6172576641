import type { Command } from "commander";

/** Every setting reeltime reads, by role, as a markdown table (the README's reference is this output). */
export async function settingsMarkdown(): Promise<string> {
  const [{ ConnectionEnv, describeEnv }, { IngestEnv }, { ProcessorEnv }, { UploadsEnv }, { AnalysisEnv, ChunkEnv }] =
    await Promise.all([
      import("@reeltime/runtime"),
      import("@reeltime/ingest-api"),
      import("@reeltime/stream-processors"),
      import("@reeltime/uploads"),
      import("@reeltime/pipeline"),
    ]);
  const sections: [string, Parameters<typeof describeEnv>[0]][] = [
    ["Connections (every role)", ConnectionEnv],
    ["Ingest API (`reeltime ingest`)", IngestEnv],
    ["Stream processors (`reeltime process`)", ProcessorEnv],
    ["Upload API (`reeltime uploads`)", UploadsEnv],
    ["Content analysis (`reeltime pipeline worker`, `pipeline watch`, `transcode`)", AnalysisEnv],
    ["Segment-parallel encoding (`reeltime pipeline worker`)", ChunkEnv],
  ];
  const out: string[] = [];
  for (const [title, schema] of sections) {
    out.push(`**${title}**`, "", "| variable | default | what it sets |", "|---|---|---|");
    for (const r of describeEnv(schema))
      out.push(
        `| \`${r.name}\` | ${r.default === "" ? "" : `\`${r.default}\``} | ${r.description.replaceAll("|", "\\|")} |`,
      );
    out.push("");
  }
  return out.join("\n");
}

const START = "<!-- settings:start -->";
const END = "<!-- settings:end -->";

/** The README with its configuration reference replaced by the current table. */
export async function readmeWithSettings(readme: string): Promise<string> {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the README has no ${START} … ${END} section`);
  return `${readme.slice(0, a + START.length)}\n${await settingsMarkdown()}${readme.slice(b)}`;
}

export function registerConfig(program: Command): void {
  program
    .command("config")
    .description("print every environment variable reeltime reads, with defaults (markdown)")
    .option("--write-readme <file>", "replace the configuration reference section of this README")
    .action(async (o: { writeReadme?: string }) => {
      if (!o.writeReadme) return void process.stdout.write(await settingsMarkdown());
      const { readFile, writeFile } = await import("node:fs/promises");
      await writeFile(o.writeReadme, await readmeWithSettings(await readFile(o.writeReadme, "utf8")));
      process.stdout.write(`updated the configuration reference in ${o.writeReadme}\n`);
    });
}
