// The live page: polls the ingest API's read endpoints (GET /v1/stats, /v1/events/last,
// /v1/search, /v1/catalogue/stats and /v1/videos/:id where the catalogue is served, and
// /v1/live/viewers where the viewers processor's figures are) with a read token and renders
// tiles, SVG charts and tables. No dependencies.

const POLL_MS = 2000;
const params = new URLSearchParams(location.hash.slice(1));
const state = {
  token: params.get("token") || sessionStorage.getItem("reeltime-token") || "",
  app: params.get("app") || "",
  minutes: params.get("minutes") || "60",
  /** The video whose content analysis is shown (a click on a catalogue row, or #video=<id>). */
  video: params.get("video") ? { id: params.get("video"), app: params.get("app") || "" } : undefined,
};
const $ = (sel) => document.querySelector(sel);

const fmt = {
  count: (v) => (v === null || v === undefined ? "–" : String(v)),
  ms: (v) => (v === null || v === undefined ? "–" : `${(v / 1000).toFixed(2)} s`),
  ratio: (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`),
  bps: (v) => (v === null || v === undefined ? "–" : `${(v / 1e6).toFixed(2)} Mb/s`),
  time: (iso) => (iso ? new Date(iso).toLocaleTimeString() : "–"),
  /** A wait of seconds to hours: "42.0 s", "3 min 05 s", "1 h 02 min". */
  duration: (v) => {
    if (v === null || v === undefined) return "–";
    const s = Math.round(v / 1000);
    if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  },
};
const TILE_FORMAT = {
  views: fmt.count,
  concurrent_viewers: fmt.count,
  startup_p50_ms: fmt.ms,
  startup_p95_ms: fmt.ms,
  rebuffer_ratio: fmt.ratio,
  playback_failure_rate: fmt.ratio,
  ebvs_rate: fmt.ratio,
  avg_bitrate_bps: fmt.bps,
};

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
  return body;
}

function query(extra) {
  const q = new URLSearchParams(extra);
  if (state.app) q.set("app", state.app);
  return q.toString();
}

/** Replaces a table's content with a header row and one row per item (text only, never HTML). */
function table(el, columns, rows) {
  el.replaceChildren();
  el.classList.toggle("breakdown", columns === BREAKDOWN_COLUMNS);
  const head = el.insertRow();
  for (const [label] of columns) {
    const th = document.createElement("th");
    th.textContent = label;
    head.append(th);
  }
  for (const row of rows) {
    const tr = el.insertRow();
    for (const [, get, cls] of columns) {
      const td = tr.insertCell();
      td.textContent = get(row);
      // A long name is cut with an ellipsis; the whole of it shows on hover.
      td.title = td.textContent;
      if (cls?.(row)) td.className = cls(row);
    }
  }
}

const SVG = "http://www.w3.org/2000/svg";
function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A line chart of values per minute, drawn as inline SVG. */
function chart(el, minutes, values) {
  const W = 600;
  const H = 160;
  const pad = { l: 34, r: 8, t: 8, b: 20 };
  const max = Math.max(1, ...values);
  const x = (i) => pad.l + (i * (W - pad.l - pad.r)) / Math.max(1, values.length - 1);
  const y = (v) => H - pad.b - (v * (H - pad.t - pad.b)) / max;
  el.replaceChildren();
  for (const v of [0, max / 2, max]) {
    el.append(svgEl("line", { class: "grid", x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v) }));
    el.append(svgEl("text", { x: 2, y: y(v) + 4 }, Number.isInteger(v) ? v : v.toFixed(1)));
  }
  if (values.length === 0) return;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  el.append(
    svgEl("polygon", { class: "area", points: `${x(0)},${y(0)} ${points.join(" ")} ${x(values.length - 1)},${y(0)}` }),
  );
  el.append(svgEl("polyline", { class: "line", points: points.join(" ") }));
  el.append(svgEl("text", { x: pad.l, y: H - 4 }, fmt.time(new Date(minutes[0]).toISOString())));
  el.append(svgEl("text", { x: W - 70, y: H - 4 }, fmt.time(new Date(minutes.at(-1)).toISOString())));
  el.dataset.values = values.join(",");
}

const BREAKDOWN_COLUMNS = [
  ["", (r) => r.key],
  ["views", (r) => fmt.count(r.views)],
  ["startup p50", (r) => fmt.ms(r.startup_p50_ms)],
  ["failures", (r) => fmt.ratio(r.playback_failure_rate)],
  ["EBVS", (r) => fmt.ratio(r.ebvs_rate)],
];

/** QoE by CDN edge location (views whose CDN logs named them). */
const POP_COLUMNS = [
  ["POP", (r) => r.key],
  ["views", (r) => fmt.count(r.views)],
  ["cache hits", (r) => fmt.ratio(r.cache_hit_ratio)],
  ["rebuffering", (r) => fmt.ratio(r.rebuffer_ratio)],
  ["startup p50", (r) => fmt.ms(r.startup_p50_ms)],
];
/** Views by quarter of their cache hit ratio, with the quarter's rebuffer ratio. */
const HIT_COLUMNS = [
  ["cache hit ratio", (r) => `${Math.round(r.from * 100)}–${Math.round((r.from + 0.25) * 100)} %`],
  ["views", (r) => fmt.count(r.views)],
  ["rebuffering", (r) => fmt.ratio(r.rebuffer_ratio)],
];

/** "14/24 · 2 running · 1 failed", from a job's chunk progress (GET /v1/stats). */
function chunkText(c) {
  return [`${c.completed}/${c.count}`, c.running ? `${c.running} running` : "", c.failed ? `${c.failed} failed` : ""]
    .filter(Boolean)
    .join(" · ");
}

function renderStats(s) {
  for (const [name, format] of Object.entries(TILE_FORMAT))
    $(`[data-tile="${name}"]`).textContent = format(s.tiles[name]);
  chart($("#chart-started"), s.series.minutes, s.series.started);
  chart($("#chart-concurrent"), s.series.minutes, s.series.concurrent);
  table($("#by-video"), BREAKDOWN_COLUMNS, s.breakdowns.video);
  table($("#by-browser"), BREAKDOWN_COLUMNS, s.breakdowns.browser);
  table($("#by-rendition"), BREAKDOWN_COLUMNS, s.breakdowns.rendition);
  table($("#by-pop"), POP_COLUMNS, s.breakdowns.pop ?? []);
  table($("#hit-vs-rebuffer"), HIT_COLUMNS, s.delivery?.hit_ratio_vs_rebuffer ?? []);
  $("#job-counts").textContent = Object.entries(s.jobs.counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
  table(
    $("#jobs"),
    [
      ["job", (j) => j.job_id],
      ["video", (j) => j.video_id ?? ""],
      ["status", (j) => j.status, (j) => (j.status === "failed" ? "failed" : "")],
      ["created", (j) => fmt.time(j.created_at)],
      ["wall time", (j) => fmt.ms(j.duration_ms)],
      ["speed", (j) => (j.speed === null ? "–" : `${j.speed.toFixed(2)}×`)],
      ["failed step", (j) => [j.failed_step, j.error_code].filter(Boolean).join(" ")],
      // Segment-parallel jobs: chunk encodes done of all, and what runs or failed now.
      ["chunks", (j) => (j.chunks ? chunkText(j.chunks) : "")],
    ],
    s.jobs.recent,
  );
}

const VIDEO_COLUMNS = [
  ["video", (v) => v.title ?? v.video_id],
  ["app", (v) => v.app_id],
  ["status", (v) => v.status, (v) => (v.status === "failed" ? "failed" : "")],
  ["updated", (v) => fmt.time(v.updated_at)],
  ["upload → ready", (v) => fmt.duration(v.upload_to_ready_ms)],
  ["failure", (v) => v.failure_code ?? ""],
];

/** The catalogue panel: videos by status, time from upload to ready over the window, recent videos. */
function renderCatalogue(c) {
  for (const status of ["uploaded", "processing", "ready", "failed"])
    $(`[data-catalogue="${status}"]`).textContent = fmt.count(c.counts[status]);
  const times = c.upload_to_ready;
  $('[data-catalogue="median_ms"]').textContent = fmt.duration(times.median_ms);
  $('[data-catalogue="p95_ms"]').textContent = fmt.duration(times.p95_ms);
  $("#catalogue-note").textContent =
    `upload → ready over the ${times.videos} video${times.videos === 1 ? "" : "s"} ready in the last ${c.minutes} min`;
  table($("#videos"), VIDEO_COLUMNS, c.recent);
  // A click on a video shows what its content analysis found, and where (the analysis panel).
  for (const [i, row] of [...$("#videos").rows].slice(1).entries()) {
    row.classList.add("pick");
    row.onclick = () => {
      state.video = { id: c.recent[i].video_id, app: c.recent[i].app_id };
      refreshAnalysis();
    };
  }
}

/** Where in the video: "12.34 s"; a stretch: "2.00–3.00 s". */
const at = (f) =>
  f.end_ms > f.start_ms ? `${(f.start_ms / 1000).toFixed(2)}–${(f.end_ms / 1000).toFixed(2)} s` : fmt.ms(f.start_ms);
const FINDING_COLUMNS = [
  ["where", at],
  ["analysis", (f) => f.analysis],
  ["found", (f) => (f.parent ? `${f.name} (${f.parent})` : f.name)],
  [
    "confidence / score",
    (f) => (f.confidence !== undefined ? `${f.confidence.toFixed(1)} %` : (f.score ?? "").toString()),
  ],
];

/** The analysis panel of the chosen video: totals as tiles, every finding with where it is. */
function renderAnalysis(v) {
  const a = v.analysis;
  $("#analysis-note").textContent = `${v.title ?? v.video_id}${a ? "" : ": not analysed (yet)"}`;
  const total = (ms, n) => (ms === undefined ? "–" : `${fmt.ms(ms)}${n ? ` (${n})` : ""}`);
  const count = (name) => (a?.findings ?? []).filter((f) => f.analysis === name).length;
  const show = {
    poster: a?.poster_ms === undefined ? "–" : fmt.ms(a.poster_ms),
    scenes: fmt.count(a?.scene_changes),
    black: total(a?.black_ms, count("black")),
    freeze: total(a?.freeze_ms, count("freeze")),
    silence: total(a?.silence_ms, count("silence")),
    loudness:
      a?.integrated_lufs === undefined
        ? "–"
        : `${a.integrated_lufs.toFixed(1)} LUFS${a.loudness_ok === false ? ` ✗ ${a.loudness_flags.join(", ")}` : " ✓"}`,
    labels: [...(a?.moderation ?? []), ...(a?.labels ?? [])].join(", ") || "–",
  };
  for (const [k, text] of Object.entries(show)) $(`[data-analysis="${k}"]`).textContent = text;
  $('[data-analysis="loudness"]').className = a?.loudness_ok === false ? "failed" : "";
  table($("#findings"), FINDING_COLUMNS, a?.findings ?? []);
}

async function refreshAnalysis() {
  if (!state.video) return;
  const { id, app } = state.video;
  try {
    renderAnalysis(await api(`/v1/videos/${encodeURIComponent(id)}?${new URLSearchParams(app ? { app } : {})}`));
    $("#analysis").hidden = false;
  } catch (err) {
    $("#analysis").hidden = false;
    $("#analysis-note").textContent = `${id}: ${err.message}`;
  }
}

/** The catalogue's figures; the panel stays hidden where the server has no catalogue (a 404). */
async function refreshCatalogue() {
  try {
    renderCatalogue(await api(`/v1/catalogue/stats?${query({ minutes: state.minutes })}`));
    $("#catalogue").hidden = false;
  } catch (err) {
    if (/^REELTIME_ERR_NOT_FOUND/.test(err.message)) $("#catalogue").hidden = true;
    else {
      $("#catalogue").hidden = false;
      $("#catalogue-note").textContent = err.message;
    }
  }
}

const LIVE_COLUMNS = [
  ["stream", (s) => (state.app ? s.stream : `${s.app}/${s.stream}`)],
  ["viewers", (s) => fmt.count(s.viewers)],
  ["started (1 min)", (s) => fmt.count(s.started)],
  ["startup failures", (s) => fmt.count(s.startup_failures), (s) => (s.startup_failures > 0 ? "failed" : "")],
  ["rebuffer ratio", (s) => fmt.ratio(s.rebuffer_ratio)],
  ["latency p50", (s) => fmt.ms(s.latency_p50_ms)],
  ["latency p95", (s) => fmt.ms(s.latency_p95_ms)],
];

/**
 * Live streams now (GET /v1/live/viewers): viewers, and the last minute's startup failures,
 * rebuffering and latency; the totals weight the ratio by watch time and take the worst p95.
 */
function renderLive(l) {
  const streams = l.streams;
  const sum = (k) => streams.reduce((n, s) => n + s[k], 0);
  const p95 = streams.map((s) => s.latency_p95_ms).filter((v) => v !== null);
  $('[data-live="viewers"]').textContent = fmt.count(sum("viewers"));
  $('[data-live="startup_failures"]').textContent = fmt.count(sum("startup_failures"));
  const rated = streams.filter((s) => s.rebuffer_ratio !== null);
  $('[data-live="rebuffer_ratio"]').textContent = fmt.ratio(
    rated.length === 0 ? null : Math.max(...rated.map((s) => s.rebuffer_ratio)),
  );
  $('[data-live="latency_p95_ms"]').textContent = fmt.ms(p95.length === 0 ? null : Math.max(...p95));
  $("#live-note").textContent =
    `${streams.length} stream${streams.length === 1 ? "" : "s"}, worst ratio and p95 shown` +
    (l.stale_partitions > 0 ? ` · ${l.stale_partitions} partition(s) not reporting` : "");
  table($("#live-table"), LIVE_COLUMNS, streams);
}

/** The live streams panel; hidden where the server has no viewers figures (a 404). */
async function refreshLive() {
  try {
    renderLive(await api(`/v1/live/viewers?${query({})}`));
    $("#live-streams").hidden = false;
  } catch (err) {
    if (/^REELTIME_ERR_NOT_FOUND/.test(err.message)) $("#live-streams").hidden = true;
    else {
      $("#live-streams").hidden = false;
      $("#live-note").textContent = err.message;
    }
  }
}

const EVENT_COLUMNS = [
  ["received", (e) => fmt.time(e.received_at)],
  ["type", (e) => e.event_type],
  ["app", (e) => e.app_id ?? ""],
  ["view / job", (e) => e.view_id ?? e.job?.id ?? ""],
  ["video", (e) => e.video?.title ?? e.video?.id ?? ""],
  ["detail", (e) => e.error?.message ?? e.job?.error?.message ?? e.api?.route ?? e.page?.url ?? ""],
];

async function refresh() {
  if (!state.token) {
    $("#status").textContent = "enter a read token";
    return;
  }
  try {
    const [stats, last] = await Promise.all([
      api(`/v1/stats?${query({ minutes: state.minutes })}`),
      api(`/v1/events/last?${query({ n: "20" })}`),
    ]);
    renderStats(stats);
    table($("#events"), EVENT_COLUMNS, last.events);
    await refreshLive();
    await refreshCatalogue();
    await refreshAnalysis();
    $("#status").className = "";
    $("#status").textContent = `updated ${fmt.time(stats.generated_at)}`;
    document.body.dataset.updated = stats.generated_at;
  } catch (err) {
    $("#status").className = "error";
    $("#status").textContent = err.message;
  }
}

async function runSearch(event) {
  event.preventDefault();
  const q = $("#q").value.trim();
  if (!q) return;
  try {
    const res = await api(`/v1/search?${query({ q, n: "20" })}`);
    table(
      $("#search-results"),
      EVENT_COLUMNS,
      res.hits.map((h) => h.event),
    );
  } catch (err) {
    $("#status").className = "error";
    $("#status").textContent = err.message;
  }
}

$("#app").value = state.app;
$("#minutes").value = state.minutes;
$("#token").value = state.token;
$("#settings").addEventListener("submit", (event) => {
  event.preventDefault();
  state.app = $("#app").value.trim();
  state.minutes = $("#minutes").value;
  state.token = $("#token").value.trim();
  sessionStorage.setItem("reeltime-token", state.token);
  refresh();
});
$("#search").addEventListener("submit", runSearch);
refresh();
setInterval(refresh, POLL_MS);
