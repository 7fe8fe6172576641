import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { localKinesisClient } from "../services/kinesis.ts";
import { KinesisSink } from "./kinesis-sink.ts";
import { LogShipper } from "./shipper.ts";

/**
 * The edge-shipper process (started by `reeltime infra up`): follows the edge's access log and
 * puts each line into the local Kinesis stream; GET /health on 127.0.0.1:<port> answers its stats.
 * Stops on SIGTERM/SIGINT after shipping what is there.
 */
const { values } = parseArgs({
  options: {
    file: { type: "string" },
    position: { type: "string" },
    stream: { type: "string" },
    port: { type: "string" },
  },
});
const { file, position, stream, port } = values;
if (!file || !position || !stream || !port) {
  process.stderr.write("usage: shipper-main.ts --file LOG --position JSON --stream NAME --port N\n");
  process.exit(2);
}

const client = await localKinesisClient();
let lastLogged = "";
const shipper = new LogShipper({
  file,
  positionFile: position,
  sink: new KinesisSink(client, stream),
  onError: (err) => {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (message !== lastLogged)
      process.stderr.write(`edge-shipper: put into ${stream} failed (${message}); retrying\n`);
    lastLogged = message;
  },
});
shipper.start();
process.stdout.write(`edge-shipper: ${file} -> Kinesis stream ${stream}\n`);

const server = createServer((req, res) => {
  if (req.url !== "/health") {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ stream, ...shipper.stats() }));
});
server.listen(Number(port), "127.0.0.1");

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  void shipper.shutdown().finally(() => {
    client.destroy();
    process.exit(0);
  });
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
