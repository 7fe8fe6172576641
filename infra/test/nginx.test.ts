import { CLOUDFRONT_REALTIME_FIELDS, checkRealtimeFields, realtimeFieldOrder } from "@reeltime/cdn-logs";
import { describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { DEBIAN_PACKAGES } from "../src/local/install/apt.ts";
import { nginxWritableDirs, renderNginxArgs, renderNginxConf } from "../src/local/render/nginx-config.ts";
import { EDGE_LOG_FIELD_NAMES, edgeLogFields, renderLogFormat } from "../src/local/render/nginx-log-format.ts";
import { renderS3Identities } from "../src/local/render/seaweedfs-config.ts";
import { edgeShipper, shipperArgs } from "../src/local/services/edge-shipper.ts";
import { SERVICES } from "../src/local/services/index.ts";
import { edgeConfig, loadEdgeLogFields, nginx, parseNginxVersion } from "../src/local/services/nginx.ts";
import { SERVICE_NAMES } from "../src/local/services/types.ts";

const PREFIX = "/state/nginx";
const EDGE_LOG_FIELDS = edgeLogFields(CLOUDFRONT_REALTIME_FIELDS);
const conf = renderNginxConf({
  prefix: PREFIX,
  port: 8081,
  origin: { host: "127.0.0.1", port: 9000, bucket: "reeltime-media" },
  location: "LOC1-C1",
  accessLog: `${PREFIX}/logs/cloudfront-realtime.log`,
  logFields: EDGE_LOG_FIELDS,
});
/** Every directive line, trimmed. */
const lines = conf.split("\n").map((l) => l.trim());
/** The directives of the block opened by the line `open` (nested blocks included). */
function block(open: string): string[] {
  const start = lines.indexOf(open);
  expect(start).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    depth += (lines[i]!.match(/\{/g) ?? []).length - (lines[i]!.match(/\}/g) ?? []).length;
    if (depth === 0) return lines.slice(start + 1, i);
  }
  throw new Error(`unclosed block ${open}`);
}

describe("the local edge's nginx.conf", () => {
  it("listens on 127.0.0.1 only and writes nothing outside its prefix", () => {
    expect(lines.filter((l) => l.startsWith("listen "))).toEqual(["listen 127.0.0.1:8081;"]);
    const directive =
      /^(?:pid|client_body_temp_path|proxy_temp_path|fastcgi_temp_path|uwsgi_temp_path|scgi_temp_path|proxy_cache_path|access_log)\s+([^\s;]+)/;
    const paths = lines.flatMap((l) => directive.exec(l)?.[1] ?? []).filter((p) => p !== "off");
    expect(paths).toHaveLength(8);
    for (const p of paths) expect(p.startsWith(`${PREFIX}/`)).toBe(true);
    expect(lines).toContain("error_log stderr notice;");
    expect(lines.some((l) => l.startsWith("user "))).toBe(false);
    for (const d of nginxWritableDirs(PREFIX)) expect(d.startsWith(`${PREFIX}/`)).toBe(true);
  });

  it("runs in the foreground on its prefix, errors to stderr before the config is read", () => {
    expect(renderNginxArgs(PREFIX, `${PREFIX}/nginx.conf`)).toEqual([
      "-p",
      PREFIX,
      "-c",
      `${PREFIX}/nginx.conf`,
      "-e",
      "stderr",
      "-g",
      "daemon off;",
    ]);
  });

  it("keys the cache and the origin request on the path without the query (CMCD differs per request)", () => {
    const keys = lines.filter((l) => l.startsWith("proxy_cache_key "));
    const passes = lines.filter((l) => l.startsWith("proxy_pass "));
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set(["proxy_cache_key $cf_uri_stem;"]));
    expect(new Set(passes)).toEqual(new Set(["proxy_pass http://media_origin/reeltime-media$cf_uri_stem;"]));
    expect(lines.filter((l) => /\$args|\$is_args|\$query_string/.test(l) && !l.startsWith("log_format "))).toEqual([]);
    expect(block("map $request_uri $cf_uri_stem {")).toEqual(['"~^(?<stem>[^?]*)" $stem;']);
    expect(block("upstream media_origin {")).toContain("server 127.0.0.1:9000;");
  });

  it("caches segments for a week and playlists for a second, collapses concurrent misses", () => {
    const playlists = block("location ~ \\.(m3u8|mpd)$ {");
    expect(playlists).toContain("proxy_cache_valid 200 1s;");
    expect(playlists).toContain("proxy_ignore_headers Vary Cache-Control Expires;");
    expect(playlists).toContain('add_header Cache-Control "max-age=1" always;');
    const root = block("location / {");
    const segments = root.slice(root.lastIndexOf("}") + 1);
    expect(segments).toContain("proxy_cache_valid 200 7d;");
    expect(segments).toContain("proxy_cache_valid 404 1s;");
    for (const b of [playlists, segments]) {
      expect(b).toContain("proxy_cache media;");
      expect(b).toContain("proxy_cache_lock on;");
      expect(b).toContain("proxy_force_ranges on;");
      expect(b).toContain("proxy_cache_revalidate on;");
      expect(b).toContain('add_header Access-Control-Allow-Origin "*" always;');
      expect(b).toContain('proxy_set_header Authorization "";');
    }
    expect(block("location = /nginx-health {")).toContain('return 200 "ok\\n";');
  });

  it("answers CORS preflights and refuses methods other than GET and HEAD", () => {
    const options = block("if ($request_method = OPTIONS) {");
    expect(options).toContain("return 204;");
    expect(options.join("\n")).toMatch(/Access-Control-Allow-Headers "Range, CMCD-Object/);
    expect(block("if ($request_method !~ ^(GET|HEAD)$) {")).toEqual(["return 405;"]);
  });

  it("maps the cache status and status to CloudFront's result types, the Content-Range to the range fields", () => {
    expect(block("map $status:$upstream_cache_status $cf_result {")).toEqual([
      '"~^[45]" Error;',
      '"~:(HIT|STALE|UPDATING)$" Hit;',
      '"~:REVALIDATED$" RefreshHit;',
      "default Miss;",
    ]);
    expect(block("map $sent_http_content_range $cf_range_start {")[0]).toBe('"~^bytes (?<start>\\d+)-" $start;');
    expect(block("map $sent_http_content_range $cf_range_end {")[0]).toBe('"~^bytes \\d+-(?<end>\\d+)" $end;');
    expect(block("map $host $cf_location {")).toEqual(["default LOC1-C1;"]);
  });
});

describe("the edge's access log layout (CloudFront real-time logs)", () => {
  it("writes its fields in the canonical order of the CloudFront parser's list, each once; the consumer takes them", () => {
    const names = EDGE_LOG_FIELDS.map((f) => f.name);
    expect(names).toEqual(realtimeFieldOrder(EDGE_LOG_FIELD_NAMES));
    expect([...names].sort()).toEqual([...EDGE_LOG_FIELD_NAMES].sort());
    expect(checkRealtimeFields(EDGE_LOG_FIELD_NAMES)).toEqual(names);
    expect(names.slice(0, 5)).toEqual(["timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes"]);
    for (const f of [
      "cs-uri-stem",
      "cs-uri-query",
      "x-edge-location",
      "x-edge-request-id",
      "time-taken",
      "x-edge-result-type",
      "x-edge-response-result-type",
      "x-edge-detailed-result-type",
      "sc-range-start",
      "sc-range-end",
      "cs-user-agent",
      "cs-protocol-version",
    ] as const)
      expect(EDGE_LOG_FIELD_NAMES).toContain(f);
  });

  it("is one tab-separated line a request, escaped so no value holds a tab", () => {
    const format = renderLogFormat("cf", EDGE_LOG_FIELDS);
    expect(format.startsWith("log_format cf escape=default '")).toBe(true);
    const body = format.slice(format.indexOf("'") + 1, format.lastIndexOf("'"));
    expect(body.split("\\t")).toEqual(EDGE_LOG_FIELDS.map((f) => f.nginx));
    expect(EDGE_LOG_FIELDS.find((f) => f.name === "timestamp")?.nginx).toBe("$msec");
    expect(EDGE_LOG_FIELDS.find((f) => f.name === "cs-uri-query")?.nginx).toBe("$args");
    expect(lines).toContain(renderLogFormat("cloudfront_realtime", EDGE_LOG_FIELDS));
    expect(lines).toContain(`access_log ${PREFIX}/logs/cloudfront-realtime.log cloudfront_realtime;`);
  });
});

describe("the nginx and edge-shipper services", () => {
  it("are registered, nginx installed by apt, each on a port no other service uses", () => {
    expect(SERVICE_NAMES).toContain("nginx");
    expect(SERVICE_NAMES).toContain("edge-shipper");
    expect(SERVICES).toContain(nginx);
    expect(SERVICES).toContain(edgeShipper);
    expect(nginx.needsApt).toBe(true);
    expect(DEBIAN_PACKAGES).toContainEqual({ pkg: "nginx", bin: "/usr/sbin/nginx" });
    expect(nginx.ports).toEqual([8081]);
    expect(edgeShipper.ports).toEqual([LOCAL_ENDPOINTS.edge.shipperPort]);
    const ports = SERVICES.flatMap((s) => s.ports);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("reads the media bucket of the local S3 and ships to reeltime.cdn.realtime", async () => {
    expect(await loadEdgeLogFields()).toEqual(EDGE_LOG_FIELDS);
    expect(edgeConfig(PREFIX, `${PREFIX}/logs/a.log`, EDGE_LOG_FIELDS)).toContain(
      "proxy_pass http://media_origin/reeltime-media$cf_uri_stem;",
    );
    const args = shipperArgs("/state", "/state/edge-shipper");
    expect(args[0]).toMatch(/infra\/src\/local\/edge\/shipper-main\.ts$/);
    expect(args.slice(1)).toEqual([
      "--file",
      expect.stringMatching(/nginx\/logs\/cloudfront-realtime\.log$/),
      "--position",
      "/state/edge-shipper/position.json",
      "--stream",
      "reeltime.cdn.realtime",
      "--port",
      String(LOCAL_ENDPOINTS.edge.shipperPort),
    ]);
  });

  it("reads nginx's version from `nginx -v`", () => {
    expect(parseNginxVersion("nginx version: nginx/1.22.1\n")).toBe("1.22.1");
    expect(parseNginxVersion("nothing")).toBeUndefined();
  });

  it("lets SeaweedFS's anonymous identity read only the buckets it is given", () => {
    const { identities } = JSON.parse(
      renderS3Identities(LOCAL_ENDPOINTS.s3, { anonymousRead: ["reeltime-media"] }),
    ) as {
      identities: { name: string; actions: string[]; credentials?: unknown }[];
    };
    expect(identities.map((i) => i.name)).toEqual(["reeltime", "anonymous"]);
    expect(identities[1]).toEqual({ name: "anonymous", actions: ["Read:reeltime-media"] });
  });
});
