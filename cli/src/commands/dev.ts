import { resolve } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { type Command, Option } from "commander";

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `--simulate takes a number of viewers from 1 to 1000000, got ${value}`,
    );
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--port (or PORT) takes a port from 0 to 65535, got ${value}`);
  return n;
}

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description(
      "run everything in one process on the embedded default: ingest API, upload API, processors, catalogue, notifier, pipeline worker, demo page and live view (no servers needed)",
    )
    .addOption(new Option("--port <port>", "HTTP port").env("PORT").argParser(port).default(8080))
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--data-dir <dir>", "where the embedded bus, search and archive keep their files", ".reeltime/dev")
    .option("--video <file>", "transcode this video instead of the generated sample")
    .option("--no-transcode", "skip the sample video")
    .option("--simulate <viewers>", "drive N synthetic viewers through the ingest API, then keep running", count)
    .option("--exit-after-simulate", "stop once the simulation is done (for scripts and tests)")
    .option("--no-live", "skip the test-source live stream (ffmpeg's live HLS ladder under /media/live/demo/)")
    .option(
      "--edge",
      "play the sample through the local nginx edge (127.0.0.1:8081, from `reeltime infra up`) and run the CDN real-time log consumer, so views gain cdn_* fields",
    )
    .action(
      async (o: {
        port: number;
        host: string;
        dataDir: string;
        video?: string;
        transcode: boolean;
        simulate?: number;
        exitAfterSimulate?: boolean;
        live: boolean;
        edge?: boolean;
      }) => {
        const [{ startDev }, { simulate }, { createLogger, onShutdown }] = await Promise.all([
          import("../dev/server.ts"),
          import("../dev/simulate.ts"),
          import("@reeltime/runtime"),
        ]);
        const print = (line: string) => process.stdout.write(`${line}\n`);
        const dev = await startDev({
          port: o.port,
          host: o.host,
          dataDir: resolve(o.dataDir),
          ...(o.transcode ? (o.video ? { video: o.video } : {}) : { video: false as const }),
          ...(o.live ? { live: "demo" } : {}),
          ...(o.edge ? { edge: true } : {}),
          print,
        });
        print("");
        print(
          dev.edgeUrl
            ? `reeltime is running on the embedded default, the sample through the edge at ${dev.edgeUrl}:`
            : "reeltime is running on the embedded default (no external servers):",
        );
        print(`  demo page      ${dev.url}/demo`);
        print(`  live view      ${dev.url}/live#token=${dev.readToken}`);
        print(`  ingest API     ${dev.url}/v1/events   (header x-reeltime-key)`);
        print(`  upload API     ${dev.url}/v1/uploads   (header x-reeltime-key; the demo page uploads through it)`);
        print(`  videos         ${dev.url}/v1/videos   (Authorization: Bearer <read token>)`);
        print(`  last events    ${dev.url}/v1/events/last   (Authorization: Bearer <read token>)`);
        print(`  metrics        ${dev.url}/metrics`);
        print(`  app id         ${dev.appId}`);
        print(`  write key      ${dev.writeKey}`);
        print(`  read token     ${dev.readToken}`);
        if (dev.videoId) print(`  sample video   ${dev.url}/media/${dev.videoId}/master.m3u8`);
        if (dev.edgeUrl && dev.videoId)
          print(`  via the edge   ${dev.edgeUrl}/media/${dev.videoId}/master.m3u8   (the demo page plays this one)`);
        if (dev.liveName)
          print(
            `  live stream    ${dev.url}/media/live/${dev.liveName}/master.m3u8   (demo page: ${dev.url}/demo?live=${dev.liveName})`,
          );
        print("Ctrl-C stops it; data stays in the data dir.");
        onShutdown(createLogger("reeltime-dev"), () => dev.close());
        if (o.simulate) {
          const videos = [
            { id: dev.videoId ?? "sample", title: "reeltime sample", duration_ms: 20_000 },
            { id: "big-buck-bunny", title: "Big Buck Bunny", duration_ms: 596_000 },
            { id: "sintel", title: "Sintel", duration_ms: 888_000 },
            { id: "tears-of-steel", title: "Tears of Steel", duration_ms: 734_000 },
          ];
          const started = Date.now();
          const r = await simulate({
            endpoint: dev.url,
            writeKey: dev.writeKey,
            viewers: o.simulate,
            videos,
            onProgress: (done, accepted) => {
              if (done % Math.max(1, Math.floor(o.simulate! / 20)) === 0 || done === o.simulate)
                print(`  simulated ${done}/${o.simulate} viewers, ${accepted} events accepted`);
            },
          });
          print(
            `simulation done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.accepted} events accepted, ${r.rejected} rejected`,
          );
          if (o.exitAfterSimulate) {
            await new Promise((r) => setTimeout(r, 3000)); // let the processors catch up
            await dev.close();
            return;
          }
        }
        await new Promise(() => undefined);
      },
    );
}
