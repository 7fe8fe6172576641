import { loadIngestConfig } from "@reeltime/ingest-api";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { exec, helm } from "../../test/tools.ts";

const CHART = new URL("../reeltime", import.meta.url).pathname;

type Env = { name: string; value?: string }[];
type Deployment = {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { containers: { env?: Env }[] } } };
};

let bin: string;
beforeAll(async () => {
  bin = await helm();
}, 20 * 60_000);

async function render(sets: string[]) {
  const args = ["template", "rt", CHART, "--namespace", "reeltime", "--kube-version", "1.37.0"];
  for (const s of sets) args.push("--set", s);
  return exec(bin, args);
}

/** The REELTIME_TRUST_PROXY the ingest pods get, and what the chart's ConfigMap says of REELTIME_ENV. */
async function trustOf(sets: string[] = []): Promise<{ trust: string | undefined; env: Record<string, string> }> {
  const r = await render(sets);
  expect(r.code, r.stderr).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; data?: Record<string, string> });
  const config = docs.find((d) => d?.kind === "ConfigMap" && d.data?.REELTIME_ENV)!.data!;
  const ingest = docs.find((d) => d?.kind === "Deployment" && (d as Deployment).metadata.name === "rt-ingest") as
    | Deployment
    | undefined;
  const env = ingest!.spec.template.spec.containers[0]!.env ?? [];
  return { trust: env.find((e) => e.name === "REELTIME_TRUST_PROXY")?.value, env: config };
}

describe("the chart trusts X-Forwarded-For only from the load balancer", () => {
  it("renders the default list of private ranges, never true, and ingest in production starts with it", async () => {
    const { trust, env } = await trustOf();
    expect(trust).toBe("10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7");
    expect(env.REELTIME_ENV).toBe("production");
    const config = loadIngestConfig({
      ...env,
      REELTIME_TRUST_PROXY: trust!,
      REELTIME_WRITE_KEYS: "shop:wk_0123456789abcdef",
      REELTIME_READ_TOKENS: "shop:rt_0123456789abcdef",
    });
    expect(config.env.REELTIME_TRUST_PROXY).toBe(trust);
  });

  it("renders a list the operator sets, and false for an empty one", async () => {
    expect((await trustOf(["ingest.trustedProxies={10.0.0.0/20,10.0.16.0/20}"])).trust).toBe(
      "10.0.0.0/20,10.0.16.0/20",
    );
    expect((await trustOf(["ingest.trustedProxies=null"])).trust).toBe("false");
  });

  it("refuses to render trust in everyone, the variable set by hand, or a name that is no address", async () => {
    for (const [set, why] of [
      ["ingest.trustedProxies={0.0.0.0/0}", /would trust X-Forwarded-For from any client/],
      ["ingest.trustedProxies={true}", /would trust X-Forwarded-For from any client/],
      ["ingest.env.REELTIME_TRUST_PROXY=true", /set that list instead of the variable/],
      ["config.REELTIME_TRUST_PROXY=true", /set that list instead of the variable/],
      ["ingest.trustedProxies={lb.internal}", /"lb.internal" is not an IP address or CIDR/],
    ] as const) {
      const r = await render([set]);
      expect(r.code, set).not.toBe(0);
      expect(r.stderr, set).toMatch(why);
    }
  });
});
