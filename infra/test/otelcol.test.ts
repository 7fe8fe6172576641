import { describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { SERVICES } from "../src/local/services/index.ts";
import { collectorTracesFile, renderCollectorConfig } from "../src/local/services/otelcol.ts";
import { SERVICE_NAMES } from "../src/local/services/types.ts";

/** The nested keys of the small YAML subset renderCollectorConfig writes (two-space indents, `key: value`). */
function parseYaml(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const stack: { indent: number; node: Record<string, unknown> }[] = [{ indent: -1, node: root }];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const [key, ...rest] = line.trim().split(":");
    const value = rest.join(":").trim();
    while (stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!.node;
    if (value === "") {
      const child: Record<string, unknown> = {};
      parent[key!] = child;
      stack.push({ indent, node: child });
    } else parent[key!] = value.startsWith('"') ? JSON.parse(value) : value;
  }
  return root;
}

describe("the local OpenTelemetry Collector", () => {
  const file = collectorTracesFile("/state dir");
  const config = parseYaml(renderCollectorConfig({ port: 4570, tracesFile: file }));
  const at = (path: string) =>
    path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);

  it("takes OTLP/HTTP on loopback only and writes spans to the traces file", () => {
    expect(at("receivers.otlp.protocols.http.endpoint")).toBe("127.0.0.1:4570");
    expect(at("receivers.otlp.protocols.grpc")).toBeUndefined();
    expect(at("exporters.file.path")).toBe("/state dir/otelcol/traces.jsonl");
    expect(at("service.pipelines.traces")).toEqual({ receivers: "[otlp]", exporters: "[file]" });
  });

  it("binds nothing else: its own metrics endpoint (:8888 on every interface by default) is off", () => {
    expect(at("service.telemetry.metrics.level")).toBe("none");
  });

  it("is registered last, on a port no other service uses", () => {
    expect(SERVICE_NAMES.at(-1)).toBe("otelcol");
    expect(SERVICES.map((s) => s.name)).toEqual([...SERVICE_NAMES]);
    const ports = SERVICES.flatMap((s) => s.ports);
    expect(new Set(ports).size).toBe(ports.length);
    expect(SERVICES.find((s) => s.name === "otelcol")!.ports).toEqual([LOCAL_ENDPOINTS.otel.port]);
    expect(LOCAL_ENDPOINTS.otel.endpoint).toBe(`http://127.0.0.1:${LOCAL_ENDPOINTS.otel.port}`);
  });
});
