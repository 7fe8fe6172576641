// The video platform end to end, as operators run it: every role its own `reeltime` process
// (upload API, two encoding workers, catalogue updater, notifier, indexer, ingest's read API) on
// the real services of `reeltime infra up` (Kafka, SeaweedFS for S3, PostgreSQL, Elasticsearch), a real
// HTTP client doing the presigned multipart upload, a webhook receiver and an SMTP server in the
// test. Then the faults: PostgreSQL down for 30 s, the worker that holds the job killed with
// SIGKILL mid-transcode, and the webhook receiver answering 500 for a minute. The signatures are
// checked with HMAC code written here, not the notifier's own verifier.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createArchive } from "@reeltime/connectors";
import { down, localServicesEnv, up } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../bin/reeltime.js", import.meta.url));
const run = Date.now().toString(36);
const APP = `plat${run}`;
const WRITE_KEY = `wk_${run}_0123456789abcdef`;
const READ_TOKEN = `rt_${run}_0123456789abcdef`;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** One `reeltime` process of the platform, its output in a log file. */
class Role {
  child: ChildProcess | undefined;
  readonly name: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly logFile: string;
  readonly readyUrl: string;
  constructor(name: string, args: string[], env: Record<string, string>, logFile: string, readyUrl: string) {
    this.name = name;
    this.args = args;
    this.env = env;
    this.logFile = logFile;
    this.readyUrl = readyUrl;
  }
  start() {
    const out = openSync(this.logFile, "a");
    // Its own process group, so the whole role is signalled, and ended when this test process
    // ends however it ends (see the exit hook below): no role outlives the test.
    this.child = spawn(process.execPath, [BIN, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", out, out],
      detached: true,
    });
    started.add(this);
  }
  signal(sig: NodeJS.Signals) {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  }
  async ready(timeoutMs = 60_000) {
    await until(
      `${this.name} (${this.readyUrl}); log: ${this.logFile}`,
      async () => {
        if (this.child?.exitCode !== null) return "exited";
        return (await fetch(this.readyUrl)).ok ? "ready" : undefined;
      },
      timeoutMs,
    ).then(
      (state) => {
        if (state === "exited") throw new Error(`${this.name} exited with ${this.child?.exitCode}:\n${this.tail()}`);
      },
      (e: Error) => {
        throw new Error(`${e.message}\n${this.tail()}`);
      },
    );
  }
  /** How the role's process ended, or undefined while it runs. */
  exited(): string | undefined {
    const c = this.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return undefined;
    return c.signalCode !== null ? `killed by ${c.signalCode}` : `exited with ${c.exitCode}`;
  }
  kill9() {
    this.signal("SIGKILL");
  }
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    this.signal("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    this.signal("SIGKILL");
    await Promise.race([exited, sleep(5_000)]);
    started.delete(this);
  }
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
  /** The sum of a metric's samples, or undefined while the process does not answer. */
  async metric(name: string): Promise<number | undefined> {
    const text = await (await fetch(this.readyUrl.replace(/\/readyz$/, "/metrics"))).text();
    let sum: number | undefined;
    for (const line of text.split("\n"))
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
    return sum;
  }
}

/** The roles other than `killed` whose process has ended, each with how it ended. */
function rolesEnded(killed: Role): string[] {
  return roles.flatMap((r) => {
    const how = r === killed ? undefined : r.exited();
    return how === undefined ? [] : [`${r.name} ${how}`];
  });
}

/** Roles started and not yet stopped: SIGKILLed when this process exits, whatever the hooks did. */
const started = new Set<Role>();
process.once("exit", () => {
  for (const r of started) r.signal("SIGKILL");
});

/** A webhook receiver: answers 500 until `failUntil` (ms since epoch), then 200; records every call. */
interface Delivery {
  at: number;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  answered: number;
}
function webhookReceiver() {
  const calls: Delivery[] = [];
  const state = { failFirstMs: 0, firstAt: 0 };
  const server: Server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      const now = Date.now();
      if (state.firstAt === 0) state.firstAt = now;
      const answered = now - state.firstAt < state.failFirstMs ? 500 : 200;
      calls.push({
        at: now,
        id: String(req.headers["webhook-id"] ?? ""),
        timestamp: String(req.headers["webhook-timestamp"] ?? ""),
        signature: String(req.headers["webhook-signature"] ?? ""),
        body,
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  return { server, calls, state };
}

/** HMAC-SHA256 over `${timestamp}.${body}`, keyed with the whole secret, as the README tells receivers. */
function signatureValid(secret: string, d: Delivery): boolean {
  const mac = createHmac("sha256", secret).update(`${d.timestamp}.${d.body}`).digest();
  return d.signature.split(" ").some((s) => {
    const sig = Buffer.from(s.replace(/^v1,/, ""), "base64");
    return sig.length === mac.length && timingSafeEqual(sig, mac);
  });
}

/** A clip of about `mib` MiB (constant bitrate), so the upload takes two 5 MiB parts. */
async function makeClip(dir: string, size: string, seconds: number, mib: number): Promise<string> {
  const out = join(dir, `clip-${size}-${seconds}s.mp4`);
  const kbps = Math.round((mib * 8 * 1024) / seconds);
  await exec("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=25:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    ...["-b:v", `${kbps}k`, "-minrate", `${kbps}k`, "-maxrate", `${kbps}k`, "-bufsize", `${kbps}k`],
    ...["-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-shortest", out],
  ]);
  return out;
}

let dir: string;
const roles: Role[] = [];
let uploadsUrl: string;
let ingestUrl: string;
let workers: Role[];
const hook = webhookReceiver();
let hookUrl: string;
let secret: string;
let endpointId: string | undefined;
const mails: { to: string; subject: string; messageId: string; text: string }[] = [];
let smtp: SMTPServer;
let pgStopped = false;

const uploadsApi = (path: string, body?: unknown) =>
  fetch(`${uploadsUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "x-reeltime-key": WRITE_KEY, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const readApi = async (path: string) => {
  const r = await fetch(`${ingestUrl}${path}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-platform-int-"));
  await mkdir(join(dir, "logs"));

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, done) {
      simpleParser(stream)
        .then((m) => {
          mails.push({
            to: (Array.isArray(m.to) ? m.to : [m.to]).map((a) => a?.text ?? "").join(","),
            subject: m.subject ?? "",
            messageId: m.messageId ?? "",
            text: m.text ?? "",
          });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  await new Promise<void>((r) => hook.server.listen(0, "127.0.0.1", () => r()));
  hookUrl = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/hooks/reeltime`;

  const env: Record<string, string> = {
    ...localServicesEnv(),
    REELTIME_ENV: "development",
    REELTIME_WRITE_KEYS: `${APP}:${WRITE_KEY}`,
    REELTIME_READ_TOKENS: `${APP}:${READ_TOKEN}`,
    REELTIME_DATA_DIR: join(dir, "data"),
    REELTIME_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    REELTIME_SMTP_FROM: "reeltime <noreply@example.com>",
    REELTIME_UPLOAD_PART_BYTES: String(5 * MiB),
    REELTIME_INDEXER_FLUSH_MS: "200",
  };
  const uploadsPort = await freePort();
  const ingestPort = await freePort();
  uploadsUrl = `http://127.0.0.1:${uploadsPort}`;
  ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const role = async (name: string, args: string[], extra: Record<string, string> = {}, readyUrl?: string) => {
    const port = await freePort();
    const r = new Role(
      name,
      readyUrl ? args : [...args, "--metrics-port", String(port)],
      { ...env, ...extra },
      join(dir, "logs", `${name}.log`),
      readyUrl ?? `http://127.0.0.1:${port}/readyz`,
    );
    roles.push(r);
    return r;
  };
  // The roles with migrations start first; ingest reads their tables.
  const catalogue = await role("catalogue", ["catalogue"]);
  const notifier = await role("notifier", ["notifier"]);
  const uploads = await role("uploads", ["uploads"], { PORT: String(uploadsPort) }, `${uploadsUrl}/healthz`);
  const indexer = await role("indexer", ["process", "--only", "indexer"]);
  workers = [await role("worker-a", ["pipeline", "worker"]), await role("worker-b", ["pipeline", "worker"])];
  for (const r of [catalogue, notifier, uploads, indexer, ...workers]) r.start();
  for (const r of [catalogue, notifier, uploads, indexer, ...workers]) await r.ready();
  const ingest = await role("ingest", ["ingest"], { PORT: String(ingestPort) }, `${ingestUrl}/readyz`);
  ingest.start();
  await ingest.ready();

  const reg = await fetch(`${ingestUrl}/v1/webhooks/endpoints`, {
    method: "POST",
    headers: { authorization: `Bearer ${READ_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ url: hookUrl, description: "platform test" }),
  });
  expect(reg.status, await reg.clone().text()).toBe(201);
  const endpoint = (await reg.json()) as { id: string; secret: string };
  secret = endpoint.secret;
  endpointId = endpoint.id;
  expect(secret).toMatch(/^whsec_/);
}, 240_000);

afterAll(async () => {
  if (pgStopped) await up({ only: ["postgres"], print: () => undefined });
  // The endpoint goes with the test: the notifier would retry deliveries to a closed port.
  if (endpointId)
    await fetch(`${ingestUrl}/v1/webhooks/endpoints/${endpointId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    }).catch(() => undefined);
  await Promise.all(roles.map((r) => r.stop()));
  hook.server.closeAllConnections();
  await new Promise<void>((r) => hook.server.close(() => r()));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  // REELTIME_KEEP_TEST_DIR keeps the roles' logs for a post-mortem.
  if (dir && !process.env.REELTIME_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
}, 60_000);

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64");

/** The whole upload as a browser would do it: announce, PUT each part to its URL, complete with the ETags. */
async function upload(file: string, title: string, ownerEmail: string, subtitles: Record<string, string> = {}) {
  const bytes = new Uint8Array(await readFile(file));
  const started = await uploadsApi("/v1/uploads", {
    filename: "clip.mp4",
    content_type: "video/mp4",
    bytes: bytes.byteLength,
    sha256: sha256(bytes),
    title,
    owner: { id: "owner-1", email: ownerEmail },
  });
  expect(started.status, await started.clone().text()).toBe(201);
  const u = (await started.json()) as {
    upload_id: string;
    video_id: string;
    part_bytes: number;
    parts: { number: number; url: string }[];
  };
  expect(u.parts.length).toBe(Math.ceil(bytes.byteLength / u.part_bytes));
  const parts: { number: number; etag: string }[] = [];
  for (const p of u.parts) {
    const chunk = bytes.subarray((p.number - 1) * u.part_bytes, p.number * u.part_bytes);
    const r = await fetch(p.url, { method: "PUT", body: chunk });
    expect(r.status, await r.clone().text()).toBe(200);
    parts.push({ number: p.number, etag: r.headers.get("etag") ?? "" });
  }
  // Subtitle files come with the upload, one language each, before it is completed.
  for (const [lang, text] of Object.entries(subtitles)) {
    const r = await fetch(`${uploadsUrl}/v1/uploads/${u.upload_id}/subtitles/${lang}`, {
      method: "PUT",
      headers: { "x-reeltime-key": WRITE_KEY, "content-type": "text/vtt" },
      body: text,
    });
    expect(r.status, await r.clone().text()).toBeLessThan(300);
  }
  const done = await uploadsApi(`/v1/uploads/${u.upload_id}/complete`, { parts });
  expect(done.status, await done.clone().text()).toBe(200);
  return { ...u, bytes: bytes.byteLength, parts: parts.length };
}

/** Events of this video the search store holds, by type (the read API, the app's read token). */
async function searchable(videoId: string, types: string): Promise<Record<string, unknown>[]> {
  const r = await readApi(`/v1/events/last?n=200&video_id=${videoId}&event_type=${types}`);
  expect(r.status).toBe(200);
  return r.body.events as Record<string, unknown>[];
}

describe("the video platform on the real services", { timeout: 900_000 }, () => {
  it("upload → bucket → worker → HLS ladder → catalogue ready → signed webhook → email → searchable events", async () => {
    hook.state.failFirstMs = 0;
    const clip = await makeClip(dir, "640x360", 8, 6);
    expect((await stat(clip)).size).toBeGreaterThan(5 * MiB);
    const title = `Harbour timelapse ${run}`;
    // English subtitles that parse, and French ones that do not: the French step alone fails.
    const u = await upload(clip, title, "owner@example.com", {
      en: "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nThe harbour at dawn\n\n00:00:04.000 --> 00:00:07.500\nBoats leave\n",
      fr: "WEBVTT\n\nceci n'est pas un horodatage --> jamais\nLe port\n",
    });
    expect(u.parts).toBe(2);

    const video = await until(
      "the catalogue's row to be ready",
      async () => {
        const r = await readApi(`/v1/videos/${u.video_id}`);
        return r.status === 200 && (r.body.status === "ready" || r.body.status === "failed") ? r.body : undefined;
      },
      240_000,
    );
    expect(video.status, JSON.stringify(video)).toBe("ready");
    expect(video).toMatchObject({ video_id: u.video_id, app_id: APP, title });
    expect(video.owner_email).toBeUndefined();
    const renditions = video.renditions as { name: string; height: number }[];
    expect(renditions.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...renditions.map((r) => r.height))).toBeLessThanOrEqual(360);
    const manifests = video.manifests as string[];
    expect(manifests).toContain(`media/${u.video_id}/master.m3u8`);

    // The HLS ladder is in the bucket: the master playlist names every rendition's playlist.
    const archive = await createArchive(loadEnv(ConnectionEnv, localServicesEnv()));
    await archive.start();
    const master = new TextDecoder().decode(await archive.get(`media/${u.video_id}/master.m3u8`));
    expect(master).toContain("#EXTM3U");
    expect(master.match(/#EXT-X-STREAM-INF/g)?.length).toBe(renditions.length);
    // The English subtitles are a subtitle rendition of every variant; the malformed French ones
    // are not there, and did not stop the video from being ready.
    const subs = master.split("\n").filter((l) => l.startsWith("#EXT-X-MEDIA:TYPE=SUBTITLES"));
    expect(subs).toHaveLength(1);
    expect(subs[0]).toContain('LANGUAGE="en"');
    for (const l of master.split("\n").filter((x) => x.startsWith("#EXT-X-STREAM-INF")))
      expect(l).toContain('SUBTITLES="subs"');
    const enUri = /URI="([^"]+)"/.exec(subs[0]!)?.[1];
    expect(enUri).toBeDefined();
    const enPlaylist = new TextDecoder().decode(await archive.get(`media/${u.video_id}/${enUri}`));
    const vtt = enPlaylist.split("\n").find((l) => l.endsWith(".vtt"));
    const dirOf = enUri!.slice(0, enUri!.lastIndexOf("/") + 1);
    const cues = new TextDecoder().decode(await archive.get(`media/${u.video_id}/${dirOf}${vtt}`));
    expect(cues).toContain("The harbour at dawn");
    await archive.shutdown();

    // One signed webhook, with the video's state, verified with the secret shown at registration.
    const call = await until(
      "the webhook",
      async () => hook.calls.find((c) => JSON.parse(c.body).data?.video_id === u.video_id),
      60_000,
    );
    expect(signatureValid(secret, call)).toBe(true);
    expect(signatureValid("whsec_wrong", call)).toBe(false);
    expect(JSON.parse(call.body)).toMatchObject({
      id: call.id,
      type: "video.ready",
      app_id: APP,
      data: { video_id: u.video_id, status: "ready", title },
    });
    expect(Math.abs(Date.now() / 1000 - Number(call.timestamp))).toBeLessThan(300);

    // The owner's email, read off the SMTP server.
    const mail = await until("the email", async () => mails.find((m) => m.subject.includes(title)), 60_000);
    expect(mail.to).toContain("owner@example.com");
    expect(mail.subject).toMatch(/is ready/);

    // The job, upload and notification events are searchable.
    const events = await until(
      "the events in the search store",
      async () => {
        const got = await searchable(
          u.video_id,
          "upload.created,upload.completed,job.created,job.completed,notification.sent",
        );
        const types = new Set(got.map((e) => e.event_type));
        return ["upload.created", "upload.completed", "job.completed", "notification.sent"].every((t) => types.has(t))
          ? got
          : undefined;
      },
      60_000,
    );
    const completed = events.filter((e) => e.event_type === "upload.completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ upload: { id: u.upload_id, bytes: u.bytes, parts: 2 } });
    expect(events.filter((e) => e.event_type === "job.completed")).toHaveLength(1);
    // The uploader's email never reaches the search store.
    expect(JSON.stringify(events)).not.toContain("owner@example.com");
    // And the title is found by the fuzzy search, typo and all.
    const typo = await readApi(
      `/v1/search?q=${encodeURIComponent(`harbur timelapse ${run}`)}&event_type=upload.completed`,
    );
    expect(typo.status).toBe(200);
    expect((typo.body.hits as { event: { video?: { id?: string } } }[]).map((h) => h.event.video?.id)).toContain(
      u.video_id,
    );
  });

  it("PostgreSQL down 30 s, the busy worker killed mid-transcode, the receiver failing for a minute: one ready, one delivery", async () => {
    hook.calls.length = 0;
    hook.state.firstAt = 0;
    hook.state.failFirstMs = 60_000;
    // 720p, 30 s: a transcode long enough on two CPUs to be caught in the middle.
    const clip = await makeClip(dir, "1280x720", 30, 9);
    const title = `Night ferry ${run}`;
    const u = await upload(clip, title, "night@example.com");

    // PostgreSQL goes away as the upload completes: the catalogue and the notifier must wait, not lose.
    pgStopped = true;
    const pgDownAt = Date.now();
    const pgDown = down({ only: ["postgres"], print: () => undefined });

    // The worker that took the job is killed while it transcodes.
    const busy = await until(
      "a worker to be transcoding",
      async () => {
        for (const w of workers) if (((await w.metric("reeltime_pipeline_jobs_in_progress")) ?? 0) > 0) return w;
        return undefined;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${workers.map((w) => `--- ${w.name}:\n${w.tail()}`).join("\n")}`);
    });
    await sleep(1500);
    busy.kill9();
    const survivor = workers.find((w) => w !== busy) as Role;
    await pgDown;

    await sleep(Math.max(0, 30_000 - (Date.now() - pgDownAt)));
    await up({ only: ["postgres"], print: () => undefined });
    pgStopped = false;

    const video = await until(
      "the catalogue's row to be ready",
      async () => {
        const r = await readApi(`/v1/videos/${u.video_id}`);
        return r.status === 200 && (r.body.status === "ready" || r.body.status === "failed") ? r.body : undefined;
      },
      480_000,
    ).catch(async (e: Error) => {
      // Everything that could have held the row back, so a failure here says where it stopped.
      const byName = (n: string) => roles.find((r) => r.name === n);
      const lag = await byName("catalogue")
        ?.metric("reeltime_consumer_lag_messages")
        .catch(() => undefined);
      const failures = await byName("catalogue")
        ?.metric("reeltime_processor_batch_failures_total")
        .catch(() => undefined);
      const last = await readApi(`/v1/videos/${u.video_id}`).catch((x: Error) => ({ status: 0, body: x.message }));
      const ended = rolesEnded(busy);
      // The logs first and the summary last: CI shows the end of a long failure.
      throw new Error(
        [
          e.message,
          `--- survivor (${survivor.name}):\n${survivor.tail()}`,
          ...["ingest", "catalogue"].map((n) => `--- ${n}:\n${byName(n)?.tail(40)}`),
          `roles no longer running: ${ended.length > 0 ? ended.join(", ") : "none"}`,
          `catalogue lag ${lag}, failed batches ${failures}; the read API answers ${last.status} ${JSON.stringify(last.body)}`,
          e.message,
        ].join("\n"),
      );
    });
    expect(video.status, JSON.stringify(video)).toBe("ready");

    // The one delivery succeeds, after a minute of 500s, under one idempotency key.
    const ok = await until(
      "a webhook answered 200",
      async () => hook.calls.find((c) => c.answered === 200 && JSON.parse(c.body).data?.video_id === u.video_id),
      240_000,
    );
    const mine = hook.calls.filter((c) => JSON.parse(c.body).data?.video_id === u.video_id);
    expect(mine[0]?.answered).toBe(500);
    expect(ok.at - (mine[0]?.at ?? 0)).toBeGreaterThanOrEqual(60_000);
    expect(new Set(mine.map((c) => c.id))).toEqual(new Set([ok.id]));
    for (const c of mine) expect(signatureValid(secret, c)).toBe(true);
    expect(JSON.parse(ok.body)).toMatchObject({ type: "video.ready", data: { video_id: u.video_id } });

    // Nothing marked ready twice: one job.completed, one email, one 200, and nothing more comes.
    const mail = await until("the email", async () => mails.find((m) => m.subject.includes(title)), 60_000);
    expect(mail.to).toContain("night@example.com");
    const events = await until(
      "the job's end in the search store",
      async () => {
        const got = await searchable(u.video_id, "upload.completed,job.created,job.completed,notification.sent");
        return got.some((e) => e.event_type === "notification.sent") ? got : undefined;
      },
      60_000,
    );
    await sleep(10_000);
    expect(hook.calls.filter((c) => c.answered === 200 && c.id === ok.id)).toHaveLength(1);
    expect(mails.filter((m) => m.subject.includes(title))).toHaveLength(1);
    const again = await searchable(u.video_id, "upload.completed,job.created,job.completed");
    expect(again.filter((e) => e.event_type === "upload.completed")).toHaveLength(1);
    expect(again.filter((e) => e.event_type === "job.completed")).toHaveLength(1);
    // The killed worker's attempt was created too: two attempts of one job id.
    const created = again.filter((e) => e.event_type === "job.created");
    expect(new Set(created.map((e) => e.event_id)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(again.map((e) => (e.job as { id?: string } | undefined)?.id).filter(Boolean)).size).toBe(1);
    expect(events.filter((e) => e.event_type === "notification.sent").length).toBeGreaterThanOrEqual(1);
    // Every role but the killed worker rode out the outage: none of them died of it (a transaction
    // in flight when PostgreSQL stopped once killed the catalogue updater, and the row never
    // turned ready).
    expect(rolesEnded(busy)).toEqual([]);
  });
});
