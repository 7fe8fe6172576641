import { join } from "node:path";
import { type EdgeLogField, renderLogFormat } from "./nginx-log-format.ts";

/** What the local edge's nginx.conf is made from. */
export interface NginxConfigOptions {
  /** The prefix folder (`nginx -p`): pid file, cache, temp folders, logs. */
  prefix: string;
  /** Listens on 127.0.0.1:<port> only. */
  port: number;
  /** The S3 origin, path-style, read anonymously: host:port and bucket. */
  origin: { host: string; port: number; bucket: string };
  /** x-edge-location written in every log line (CloudFront's POP code, e.g. IAD89-C1). */
  location: string;
  /** The access log, in CloudFront's real-time layout. */
  accessLog: string;
  /** Its fields in canonical order (edgeLogFields). */
  logFields: readonly EdgeLogField[];
  /** The cache's size limit (nginx size, e.g. "1g"). */
  cacheMaxSize?: string;
}

/** Where nginx keeps its cache under the prefix. */
export function nginxCacheDir(prefix: string): string {
  return join(prefix, "cache");
}

/** Every folder nginx writes to under the prefix (created and owned by the user it runs as). */
export function nginxWritableDirs(prefix: string): string[] {
  return [
    nginxCacheDir(prefix),
    join(prefix, "logs"),
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => join(prefix, "temp", t)),
  ];
}

/** `nginx` arguments: the prefix and config, errors to stderr (not Debian's /var/log/nginx), in the foreground. */
export function renderNginxArgs(prefix: string, config: string): string[] {
  return ["-p", prefix, "-c", config, "-e", "stderr", "-g", "daemon off;"];
}

/** CORS for the players, which fetch the media from another origin (the demo page's). */
const CORS_HEADERS = [
  'add_header Access-Control-Allow-Origin "*" always;',
  'add_header Access-Control-Expose-Headers "Content-Length, Content-Range, Age, X-Cache, X-Amz-Cf-Id" always;',
];

/** Proxying to the origin: without the query (CMCD differs per request), without the client's Origin/cache validators. */
function proxyBlock(o: NginxConfigOptions, ignore: string, validity: string[]): string[] {
  return [
    `proxy_pass http://media_origin/${o.origin.bucket}$cf_uri_stem;`,
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    `proxy_set_header Host ${o.origin.host}:${o.origin.port};`,
    'proxy_set_header Origin "";',
    'proxy_set_header Authorization "";',
    "proxy_cache media;",
    // The cache key leaves the query out: CMCD query parameters differ on every request.
    "proxy_cache_key $cf_uri_stem;",
    // Ranges are cut from the whole cached object, whether or not the origin advertises them.
    "proxy_force_ranges on;",
    // An expired copy is revalidated (If-Modified-Since/If-None-Match): REVALIDATED, RefreshHit in the log.
    "proxy_cache_revalidate on;",
    "proxy_cache_lock on;",
    "proxy_cache_lock_timeout 10s;",
    "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
    // S3 answers `Vary: Origin`; nginx would keep one copy per Origin header.
    `proxy_ignore_headers ${ignore};`,
    ...validity,
    "proxy_hide_header Vary;",
    "proxy_hide_header Access-Control-Allow-Origin;",
    "proxy_hide_header Access-Control-Expose-Headers;",
    "proxy_hide_header Access-Control-Allow-Methods;",
    "proxy_hide_header Access-Control-Allow-Headers;",
    "proxy_hide_header x-amz-request-id;",
    "proxy_hide_header x-amz-id-2;",
    "proxy_hide_header Set-Cookie;",
    "add_header X-Cache $upstream_cache_status always;",
    // CloudFront's response header carrying x-edge-request-id: a client finds its log line by it.
    "add_header X-Amz-Cf-Id $request_id always;",
    ...CORS_HEADERS,
  ];
}

function indent(lines: readonly string[], depth: number): string[] {
  return lines.map((l) => (l === "" ? l : `${"    ".repeat(depth)}${l}`));
}

/**
 * The local edge's nginx.conf: Debian's nginx as an HTTP cache in front of the media bucket,
 * CloudFront's stand-in. Segments are cached for a week, playlists for one second (live
 * playlists change), 404s for one second (a segment may be uploaded a moment later); concurrent
 * misses of one object make one origin request (`proxy_cache_lock`). Every request is logged in
 * CloudFront's real-time log layout. Everything it writes is under the prefix.
 */
export function renderNginxConf(o: NginxConfigOptions): string {
  const p = o.prefix;
  const originHost = `${o.origin.host}:${o.origin.port}`;
  const http = [
    "default_type application/octet-stream;",
    "server_tokens off;",
    "sendfile on;",
    "keepalive_timeout 30s;",
    `client_body_temp_path ${join(p, "temp", "client_body")};`,
    `proxy_temp_path ${join(p, "temp", "proxy")};`,
    `fastcgi_temp_path ${join(p, "temp", "fastcgi")};`,
    `uwsgi_temp_path ${join(p, "temp", "uwsgi")};`,
    `scgi_temp_path ${join(p, "temp", "scgi")};`,
    `proxy_cache_path ${nginxCacheDir(p)} levels=1:2 keys_zone=media:10m max_size=${o.cacheMaxSize ?? "1g"} inactive=7d use_temp_path=off;`,
    "",
    "# The request path as sent (URL-encoded), without the query: cache key, origin path, cs-uri-stem.",
    "map $request_uri $cf_uri_stem {",
    '    "~^(?<stem>[^?]*)" $stem;',
    "}",
    "map $status:$upstream_cache_status $cf_result {",
    '    "~^[45]" Error;',
    '    "~:(HIT|STALE|UPDATING)$" Hit;',
    '    "~:REVALIDATED$" RefreshHit;',
    "    default Miss;",
    "}",
    "map $upstream_header_time $cf_ttfb {",
    '    "" 0.000;',
    "    default $upstream_header_time;",
    "}",
    "map $sent_http_content_range $cf_range_start {",
    '    "~^bytes (?<start>\\d+)-" $start;',
    "    default -;",
    "}",
    "map $sent_http_content_range $cf_range_end {",
    '    "~^bytes \\d+-(?<end>\\d+)" $end;',
    "    default -;",
    "}",
    "map $remote_addr $cf_ip_version {",
    '    "~:" IPv6;',
    "    default IPv4;",
    "}",
    "map $host $cf_location {",
    `    default ${o.location};`,
    "}",
    renderLogFormat("cloudfront_realtime", o.logFields),
    `access_log ${o.accessLog} cloudfront_realtime;`,
    "",
    "upstream media_origin {",
    `    server ${originHost};`,
    "    keepalive 8;",
    "}",
    "",
    "server {",
    ...indent(
      [
        `listen 127.0.0.1:${o.port};`,
        "server_name _;",
        "",
        "location = /nginx-health {",
        "    access_log off;",
        "    default_type text/plain;",
        '    return 200 "ok\\n";',
        "}",
        "",
        "location / {",
        "    if ($request_method = OPTIONS) {",
        ...indent(
          [
            ...CORS_HEADERS,
            'add_header Access-Control-Allow-Methods "GET, HEAD, OPTIONS" always;',
            'add_header Access-Control-Allow-Headers "Range, CMCD-Object, CMCD-Request, CMCD-Session, CMCD-Status" always;',
            'add_header Access-Control-Max-Age "86400" always;',
            "return 204;",
          ],
          1,
        ),
        "    }",
        "    if ($request_method !~ ^(GET|HEAD)$) {",
        "        return 405;",
        "    }",
        "",
        "    # Playlists and manifests: one second, whatever the origin says (live playlists change).",
        "    location ~ \\.(m3u8|mpd)$ {",
        ...indent(
          [
            ...proxyBlock(o, "Vary Cache-Control Expires", [
              "proxy_cache_valid 200 1s;",
              "proxy_cache_valid 404 1s;",
              "proxy_hide_header Cache-Control;",
              'add_header Cache-Control "max-age=1" always;',
            ]),
          ],
          1,
        ),
        "    }",
        "",
        "    # Segments, init segments, everything else: a week, unless the origin says otherwise.",
        ...indent(proxyBlock(o, "Vary", ["proxy_cache_valid 200 7d;", "proxy_cache_valid 404 1s;"]), 1),
        "}",
      ],
      1,
    ),
    "}",
  ];
  return [
    `pid ${join(p, "nginx.pid")};`,
    "error_log stderr notice;",
    "worker_processes 1;",
    "",
    "events {",
    "    worker_connections 512;",
    "}",
    "",
    "http {",
    ...indent(http, 1),
    "}",
    "",
  ].join("\n");
}
