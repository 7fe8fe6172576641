import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROCESSOR_NAMES } from "@reeltime/stream-processors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { COMPONENTS, PROCESSORS } from "../../cdk/src/components.ts";
import { allTools, exec, type PythonTools } from "../../test/tools.ts";

const CHART = new URL("../reeltime", import.meta.url).pathname;
const REPO = new URL("../../../../", import.meta.url).pathname;
/** The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest with schemas. */
const KUBE_VERSIONS = ["1.30.0", "1.37.0"];

type Doc = {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
};
type Container = {
  name: string;
  args?: string[];
  command?: string[];
  resources?: { requests?: object; limits?: object };
  livenessProbe?: object;
  readinessProbe?: object;
  startupProbe?: object;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};
type PodSpec = { serviceAccountName: string; containers: Container[]; securityContext: { runAsNonRoot?: boolean } };

let helm: string;
let py: PythonTools;
const tmp = mkdtempSync(join(tmpdir(), "reeltime-chart-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  ({ helm, py } = await allTools());
}, 20 * 60_000);

async function render(sets: string[] = [], kube = KUBE_VERSIONS[1]!): Promise<{ text: string; docs: Doc[] }> {
  const args = ["template", "rt", CHART, "--namespace", "reeltime", "--kube-version", kube];
  for (const s of sets) args.push("--set", s);
  const r = await exec(helm, args);
  expect(r.code, r.stderr).toBe(0);
  const docs = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
  return { text: r.stdout, docs };
}

/** kubernetes-validate --strict (unknown fields are errors) against the bundled schemas. */
async function validate(docs: Doc[], kube: string) {
  const file = join(tmp, `manifests-${kube}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, docs.map((d) => `---\n${JSON.stringify(d)}\n`).join(""));
  return exec("python3", [py.bin("kubernetes-validate"), "--strict", "--quiet", "-k", kube, file], { env: py.env });
}

const podSpec = (d: Doc) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);

/** The CDN real-time log consumer on: a stream in the config's region, a field list. */
const CDN_STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/cloudfront-realtime-logs";
const CDN_FIELDS = ["timestamp", "c-ip", "sc-status", "sc-bytes", "cs-uri-stem", "x-edge-location", "cmcd-session-id"];
const CDN_ON = [
  "cdnConsumer.enabled=true",
  `cdnConsumer.streamArn=${CDN_STREAM}`,
  `cdnConsumer.fields={${CDN_FIELDS.join(",")}}`,
];

const VARIANTS: Record<string, string[]> = {
  "defaults (Kafka/MSK, Elasticsearch, S3, Athena)": [],
  "Kinesis, own secret, fixed replicas, ServiceMonitor": [
    "config.REELTIME_BUS=kinesis",
    "config.REELTIME_PARTITIONS=142",
    "dataVolume.existingClaim=reeltime-leases",
    "secrets.create=false",
    "secrets.existingSecret=reeltime-from-external-secrets",
    "ingest.autoscaling.enabled=false",
    "processors.defaults.autoscaling.enabled=false",
    "pipeline.enabled=false",
    "metrics.annotations=false",
    "metrics.serviceMonitor.enabled=true",
  ],
  "the CDN real-time log consumer on": CDN_ON,
};

describe("Helm chart", () => {
  it("passes helm lint --strict", async () => {
    const r = await exec(helm, ["lint", CHART, "--strict", "--kube-version", KUBE_VERSIONS[1]!]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  for (const [name, sets] of Object.entries(VARIANTS))
    for (const kube of KUBE_VERSIONS)
      it(`renders ${name} into manifests valid for Kubernetes ${kube}`, async () => {
        const { docs } = await render(sets, kube);
        // ServiceMonitor is a CRD of the Prometheus operator: no core schema; checked below.
        const core = docs.filter((d) => d.kind !== "ServiceMonitor");
        expect(core.length).toBeGreaterThan(20);
        const r = await validate(core, kube);
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      });

  it("the validator does reject a wrong manifest (it is not a no-op)", async () => {
    const { docs } = await render();
    const bad = structuredClone(byKind(docs, "Deployment")[0]!);
    (bad.spec as Record<string, unknown>).replicas = "three";
    (bad.spec as Record<string, unknown>).replica = 3;
    const r = await validate([bad], KUBE_VERSIONS[1]!);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/replica/);
  });

  it("runs one Deployment per processor of `reeltime process`, with probes, resources and a lag HPA", async () => {
    expect([...PROCESSORS].sort()).toEqual([...PROCESSOR_NAMES].sort());
    const { docs } = await render();
    const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8"));
    for (const name of PROCESSOR_NAMES) {
      const deploy = byKind(docs, "Deployment").find((d) => d.metadata.name === `rt-${name}`);
      expect(deploy, name).toBeDefined();
      const pod = podSpec(deploy!);
      const c = pod.containers[0]!;
      expect(c.args).toEqual(["process", "--only", name, "--metrics-port", "9464"]);
      expect(c.startupProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      expect(pod.serviceAccountName).toBe(COMPONENTS[name].serviceAccount);
      const cfg = values.processors[name];
      if (cfg.autoscaling?.enabled === false) continue;
      const hpa = byKind(docs, "HorizontalPodAutoscaler").find((d) => d.metadata.name === `rt-${name}`);
      expect(hpa, `HPA of ${name}`).toBeDefined();
      const metric = (hpa!.spec as { metrics: { type: string; external: { metric: object } }[] }).metrics[0]!;
      expect(metric.type).toBe("External");
      expect(metric.external.metric).toEqual({
        name: "reeltime_consumer_lag_messages",
        selector: { matchLabels: { group: cfg.group } },
      });
      expect(cfg.group).toBe(`reeltime-${name}`);
    }
  });

  it("scales ingest on CPU, probes /healthz and /readyz, and gives it the write keys alone", async () => {
    const { docs } = await render();
    const hpa = byKind(docs, "HorizontalPodAutoscaler").find((d) => d.metadata.name === "rt-ingest")!;
    expect((hpa.spec as { metrics: object[] }).metrics[0]).toMatchObject({
      type: "Resource",
      resource: { name: "cpu" },
    });
    const ingest = podSpec(byKind(docs, "Deployment").find((d) => d.metadata.name === "rt-ingest")!).containers[0]!;
    expect(ingest.readinessProbe).toMatchObject({ httpGet: { path: "/readyz" } });
    expect(ingest.livenessProbe).toMatchObject({ httpGet: { path: "/healthz" } });
    for (const d of byKind(docs, "Deployment")) {
      const env = JSON.stringify(podSpec(d).containers[0]);
      // The two front doors that take write keys: ingest and the upload API.
      expect(env.includes("REELTIME_WRITE_KEYS"), d.metadata.name).toBe(
        d.metadata.name === "rt-ingest" || d.metadata.name === "rt-uploads",
      );
    }
  });

  it("gives ingest the archive GET /v1/live/viewers reads (the config's S3 bucket) under the account of its role", async () => {
    const { docs } = await render();
    const config = byKind(docs, "ConfigMap").find((d) => d.metadata.name === "rt-config") as Doc & {
      data: Record<string, string>;
    };
    expect(config.data).toMatchObject({ REELTIME_ARCHIVE: "s3", REELTIME_S3_BUCKET: "reeltime-archive" });
    const spec = podSpec(byKind(docs, "Deployment").find((d) => d.metadata.name === "rt-ingest")!);
    expect(spec.serviceAccountName).toBe(COMPONENTS.ingest.serviceAccount);
    expect((spec.containers[0] as { envFrom?: object[] }).envFrom).toEqual([{ configMapRef: { name: "rt-config" } }]);
    expect(COMPONENTS.ingest.archiveRead).toEqual(["_live/viewers/"]);
  });

  it("runs the pipeline as workers of one consumer group with health, readiness and metrics, plus an enqueue CronJob", async () => {
    const { docs } = await render();
    const deploy = byKind(docs, "Deployment").find((d) => d.metadata.name === "rt-pipeline")!;
    expect((deploy.spec as { replicas: number }).replicas).toBe(2);
    const pod = podSpec(deploy);
    const c = pod.containers[0]! as Container & { ports: { containerPort: number }[] };
    expect(c.args).toEqual(["pipeline", "worker", "--metrics-port", "9465"]);
    expect(JSON.stringify(c.livenessProbe)).toContain("127.0.0.1:9465/healthz");
    expect(JSON.stringify(c.readinessProbe)).toContain("127.0.0.1:9465/readyz");
    expect(c.ports[0]!.containerPort).toBe(9465);
    expect(pod.serviceAccountName).toBe(COMPONENTS.pipeline.serviceAccount);
    const metrics = byKind(docs, "Service").find((s) => s.metadata.name === "rt-pipeline-metrics")!;
    expect((metrics.spec as { ports: { port: number }[] }).ports[0]!.port).toBe(9465);
    const cron = byKind(docs, "CronJob").find((d) => d.metadata.name === "rt-pipeline-enqueue")!;
    const job = (cron.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template
      .spec;
    expect(job.containers[0]!.args).toEqual(["pipeline", "enqueue"]);
    expect(job.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    expect(job.serviceAccountName).toBe(COMPONENTS.pipeline.serviceAccount);
    const off = await render(["pipeline.enqueue.enabled=false"]);
    expect(byKind(off.docs, "CronJob")).toHaveLength(0);
  });

  it("runs the catalogue updater and the notifier as consumer groups of their own, with their commands and the database URL", async () => {
    const { docs } = await render();
    for (const name of ["catalogue", "notifier"] as const) {
      const deploy = byKind(docs, "Deployment").find((d) => d.metadata.name === `rt-${name}`)!;
      expect(deploy, name).toBeDefined();
      const pod = podSpec(deploy);
      const c = pod.containers[0]!;
      expect(c.args).toEqual([name, "--metrics-port", "9464"]);
      expect((c as { image?: string }).image).toMatch(/^reeltime\/process:/);
      expect(pod.serviceAccountName).toBe(COMPONENTS[name].serviceAccount);
      expect(JSON.stringify(c)).toContain('"name":"REELTIME_PG_URL","valueFrom":{"secretKeyRef"');
      expect(c.livenessProbe).toBeDefined();
    }
  });

  it("runs the CDN real-time log consumer only when enabled: `cdn consume` on the stream of the ARN, its fields, the lease table, its account", async () => {
    const { docs } = await render();
    expect(docs.filter((d) => d.metadata.name.startsWith("rt-cdn-consumer"))).toEqual([]);
    expect(byKind(docs, "ServiceAccount").map((d) => d.metadata.name)).not.toContain("reeltime-cdn-consumer");

    const on = await render([...CDN_ON, "cdnConsumer.app=demo", "cdnConsumer.samplingRate=25"]);
    const deploy = byKind(on.docs, "Deployment").find((d) => d.metadata.name === "rt-cdn-consumer")!;
    expect(deploy).toBeDefined();
    expect((deploy.spec as { replicas: number }).replicas).toBe(2);
    const pod = podSpec(deploy);
    const c = pod.containers[0]! as Container & {
      image: string;
      env: { name: string; value?: string }[];
      ports: { containerPort: number }[];
    };
    expect(c.args).toEqual([
      "cdn",
      "consume",
      "--stream",
      "cloudfront-realtime-logs",
      "--fields",
      CDN_FIELDS.join(","),
      "--sampling-rate",
      "25",
      "--group",
      "reeltime-cdn-realtime",
      "--app",
      "demo",
      "--metrics-port",
      "9464",
    ]);
    expect(c.image).toMatch(/^reeltime\/process:/);
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      HOST: "0.0.0.0",
      REELTIME_KINESIS_LEASES: "dynamodb",
      REELTIME_KINESIS_LEASE_TABLE: "reeltime-kinesis-leases",
    });
    expect(JSON.stringify(c)).not.toMatch(/REELTIME_WRITE_KEYS|REELTIME_READ_TOKENS|REELTIME_REDIS_URL/);
    expect(c.ports[0]!.containerPort).toBe(9464);
    expect(JSON.stringify(c.livenessProbe)).toContain("127.0.0.1:9464/healthz");
    expect(pod.serviceAccountName).toBe(COMPONENTS["cdn-consumer"].serviceAccount);
    expect(byKind(on.docs, "ServiceAccount").map((d) => d.metadata.name)).toContain("reeltime-cdn-consumer");
    expect(byKind(on.docs, "Service").some((d) => d.metadata.name === "rt-cdn-consumer-metrics")).toBe(true);
    expect(byKind(on.docs, "PodDisruptionBudget").some((d) => d.metadata.name === "rt-cdn-consumer")).toBe(true);
    expect(byKind(on.docs, "HorizontalPodAutoscaler").some((d) => d.metadata.name === "rt-cdn-consumer")).toBe(false);
    // Its own lease table and metrics port; the processors keep theirs and their args.
    const own = await render([...CDN_ON, "cdnConsumer.leaseTable=other-leases", "cdnConsumer.metricsPort=9470"]);
    const c2 = podSpec(byKind(own.docs, "Deployment").find((d) => d.metadata.name === "rt-cdn-consumer")!)
      .containers[0]! as Container & { env: { name: string; value?: string }[] };
    expect(c2.args!.slice(-2)).toEqual(["--metrics-port", "9470"]);
    expect(c2.env).toContainEqual({ name: "REELTIME_KINESIS_LEASE_TABLE", value: "other-leases" });
    const indexer = podSpec(byKind(own.docs, "Deployment").find((d) => d.metadata.name === "rt-indexer")!);
    expect(indexer.containers[0]!.args).toEqual(["process", "--only", "indexer", "--metrics-port", "9464"]);
    expect(JSON.stringify(indexer.containers[0])).not.toContain("REELTIME_KINESIS_LEASE_TABLE");
  });

  it("refuses to render the CDN consumer without a stream ARN in the config's region or without fields", async () => {
    const fails = async (sets: string[], message: RegExp) => {
      const args = ["template", "rt", CHART, "--namespace", "reeltime", "--kube-version", KUBE_VERSIONS[1]!];
      for (const s of sets) args.push("--set", s);
      const r = await exec(helm, args);
      expect(r.code, sets.join(" ")).not.toBe(0);
      expect(r.stderr).toMatch(message);
    };
    await fails(["cdnConsumer.enabled=true", "cdnConsumer.fields={timestamp}"], /cdnConsumer.streamArn is required/);
    await fails([...CDN_ON, "cdnConsumer.streamArn=cloudfront-realtime-logs"], /must be a Kinesis data stream ARN/);
    await fails(
      [...CDN_ON, "cdnConsumer.streamArn=arn:aws:kinesis:eu-west-1:123456789012:stream/logs"],
      /is in eu-west-1 but config.AWS_REGION is us-east-1/,
    );
    await fails(["cdnConsumer.enabled=true", `cdnConsumer.streamArn=${CDN_STREAM}`], /cdnConsumer.fields is required/);
  });

  it("runs the upload API from the ingest image with its own account, the write keys and the database URL from the Secret", async () => {
    const { docs } = await render();
    const deploy = byKind(docs, "Deployment").find((d) => d.metadata.name === "rt-uploads")!;
    expect(deploy).toBeDefined();
    const pod = podSpec(deploy);
    const c = pod.containers[0]!;
    expect(c.args).toEqual(["uploads"]);
    expect((c as { image?: string }).image).toMatch(/^reeltime\/ingest:/);
    expect(pod.serviceAccountName).toBe(COMPONENTS.uploads.serviceAccount);
    const env = JSON.stringify(c);
    expect(env).toContain('"name":"REELTIME_PG_URL","valueFrom":{"secretKeyRef"');
    expect(env).not.toContain("REELTIME_READ_TOKENS");
    expect(c.startupProbe).toMatchObject({ httpGet: { path: "/healthz" } });
    const svc = byKind(docs, "Service").find((d) => d.metadata.name === "rt-uploads");
    expect(svc).toBeDefined();
    const off = await render(["uploads.enabled=false"]);
    expect(byKind(off.docs, "Deployment").some((d) => d.metadata.name === "rt-uploads")).toBe(false);
  });

  it("passes the rate-limit store URL from the Secret to ingest only", async () => {
    const { docs } = await render(["secrets.values.REELTIME_REDIS_URL=rediss://:tok@cache.example:6379"]);
    const secret = byKind(docs, "Secret")[0] as Doc & { stringData: Record<string, string> };
    expect(secret.stringData.REELTIME_REDIS_URL).toBe("rediss://:tok@cache.example:6379");
    for (const d of byKind(docs, "Deployment")) {
      const env = JSON.stringify(podSpec(d).containers[0]);
      expect(env.includes("REELTIME_REDIS_URL"), d.metadata.name).toBe(d.metadata.name === "rt-ingest");
    }
  });

  it("runs every container as non-root on a read-only root filesystem, each under its component's account", async () => {
    const { docs } = await render();
    const accounts = new Set(byKind(docs, "ServiceAccount").map((d) => d.metadata.name));
    const known = new Set<string>(Object.values(COMPONENTS).map((c) => c.serviceAccount));
    for (const a of accounts) expect(known.has(a), a).toBe(true);
    for (const d of [...byKind(docs, "Deployment"), ...byKind(docs, "Job")]) {
      const pod = podSpec(d);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(accounts.has(pod.serviceAccountName)).toBe(true);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(c.resources?.limits, `${d.metadata.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it("protects every replicated workload with a PodDisruptionBudget", async () => {
    const { docs } = await render();
    const pdbs = new Set(byKind(docs, "PodDisruptionBudget").map((d) => d.metadata.name));
    for (const d of byKind(docs, "Deployment")) {
      const replicas = (d.spec as { replicas?: number }).replicas;
      if (replicas === undefined || replicas > 1) expect(pdbs.has(d.metadata.name), d.metadata.name).toBe(true);
    }
  });

  it("installs index templates and topics in a hook Job before every upgrade", async () => {
    const { docs } = await render();
    const [job] = byKind(docs, "Job");
    expect(job!.metadata.annotations).toMatchObject({
      "helm.sh/hook": "post-install,pre-upgrade",
      "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
    });
    const c = podSpec(job!).containers[0]!;
    expect(c.command).toEqual(["node", "infra/deploy/setup/setup.ts"]);
    expect(existsSync(join(REPO, c.command![1]!))).toBe(true);
  });

  it("scrapes by annotations, or by ServiceMonitors on the metrics ports", async () => {
    const plain = await render();
    const ingest = byKind(plain.docs, "Deployment").find((d) => d.metadata.name === "rt-ingest")!;
    const annotations = (ingest.spec as { template: { metadata: { annotations: Record<string, string> } } }).template
      .metadata.annotations;
    expect(annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": "8080" });
    const { docs } = await render(VARIANTS["Kinesis, own secret, fixed replicas, ServiceMonitor"]);
    const monitors = byKind(docs, "ServiceMonitor");
    expect(monitors.map((m) => m.apiVersion)).toEqual(["monitoring.coreos.com/v1", "monitoring.coreos.com/v1"]);
    const ports = new Set(
      byKind(docs, "Service").flatMap((s) => (s.spec as { ports: { name: string }[] }).ports.map((p) => p.name)),
    );
    for (const m of monitors)
      for (const e of (m.spec as { endpoints: { port: string }[] }).endpoints) expect(ports.has(e.port)).toBe(true);
    expect(byKind(docs, "Secret")).toHaveLength(0);
  });

  it("ships the generated alert rules as a PrometheusRule when asked to", async () => {
    expect(byKind((await render()).docs, "PrometheusRule")).toHaveLength(0);
    const { docs } = await render(["metrics.prometheusRule.enabled=true"]);
    const [rule] = byKind(docs, "PrometheusRule");
    expect(rule!.apiVersion).toBe("monitoring.coreos.com/v1");
    const rules = parse(readFileSync(join(CHART, "files", "alerts.yml"), "utf8")) as object;
    expect(rule!.spec).toEqual(rules);
  });

  it("documents the external lag metric the HPAs ask Prometheus Adapter for", () => {
    const adapter = parse(readFileSync(new URL("../prometheus-adapter-values.yaml", import.meta.url), "utf8"));
    const values = parse(readFileSync(join(CHART, "values.yaml"), "utf8"));
    expect(adapter.rules.external[0].name.as).toBe(values.processors.lagMetric);
    expect(adapter.rules.external[0].seriesQuery).toContain(values.processors.lagMetric);
  });
});
