import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools, exec, type PythonTools } from "../../test/tools.ts";

/** The workspace folder, where cdk.json is (npx runs commands there too). */
const WORKSPACE = new URL("../..", import.meta.url).pathname;
const CDK_BIN = new URL("../../../../node_modules/.bin/cdk", import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), "reeltime-cdk-"));
let py: PythonTools;

beforeAll(async () => {
  ({ py } = await allTools());
}, 20 * 60_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The real CDK CLI, offline: no notices, no version reporting, no telemetry, no lookups. */
async function synth(bus: "kinesis" | "msk", context: string[] = []): Promise<string> {
  const dir = join(out, [bus, ...context].join("-").replaceAll(/[^A-Za-z0-9-]/g, "_"));
  const r = await exec(
    CDK_BIN,
    [
      "synth",
      "-q",
      "-c",
      `bus=${bus}`,
      ...context.flatMap((c) => ["-c", c]),
      "-o",
      dir,
      "--no-notices",
      "--no-version-reporting",
    ],
    {
      cwd: WORKSPACE,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true", CI: "true" },
    },
  );
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return join(dir, "Reeltime.template.json");
}

const cfnLint = (files: string[]) => exec("python3", [py.bin("cfn-lint"), ...files], { env: py.env });

describe("CDK app", () => {
  it.each(["kinesis", "msk"] as const)(
    "synthesises offline with `cdk synth` (bus=%s) and passes cfn-lint",
    async (bus) => {
      const template = await synth(bus);
      const parsed = JSON.parse(readFileSync(template, "utf8"));
      expect(Object.keys(parsed.Resources).length).toBeGreaterThan(30);
      // Asset-free and bootstrap-free: plain CloudFormation can deploy it.
      expect(parsed.Parameters.BootstrapVersion).toBeUndefined();
      const r = await cfnLint([template]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    },
  );

  it.each(["kinesis", "msk"] as const)(
    "synthesises the CDN consumer from `-c cloudfrontRealtimeStreamArn` (bus=%s) and passes cfn-lint",
    async (bus) => {
      const stream = "arn:aws:kinesis:us-east-1:123456789012:stream/cloudfront-realtime-logs";
      const template = await synth(bus, [`cloudfrontRealtimeStreamArn=${stream}`]);
      const parsed = JSON.parse(readFileSync(template, "utf8"));
      const roles = Object.keys(parsed.Resources).filter((r) => r.startsWith("CdnConsumerRole"));
      expect(roles.length).toBeGreaterThan(0);
      expect(JSON.stringify(parsed.Resources)).toContain(stream);
      expect(parsed.Outputs.CloudfrontRealtimeStreamName.Value).toBe("cloudfront-realtime-logs");
      expect(parsed.Outputs.KinesisLeaseTableName).toBeDefined();
      const r = await cfnLint([template]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    },
  );

  it("cfn-lint does reject a broken template (it is not a no-op)", async () => {
    const bad = join(out, "bad.template.json");
    writeFileSync(
      bad,
      JSON.stringify({
        Resources: { S: { Type: "AWS::Kinesis::Stream", Properties: { ShardCount: "many", Shards: 2 } } },
      }),
    );
    const r = await cfnLint([bad]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/Shards|ShardCount/);
  });
});
