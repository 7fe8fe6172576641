// Preloaded into kinesis-local (`node --require`) for two things it has no setting for:
// - its servers listen on 0.0.0.0: every wildcard listen() is rewritten to 127.0.0.1
//   (or REELTIME_BIND_HOST);
// - it never exits on SIGTERM/SIGINT (cats-effect replaces process.exit with a graceful exit
//   that hangs): after a 2 s grace for its own handlers, the real process.exit ends it.
"use strict";
const net = require("node:net");

const host = process.env.REELTIME_BIND_HOST || "127.0.0.1";
const wildcard = (h) => h === undefined || h === null || h === "" || h === "0.0.0.0" || h === "::";
const original = net.Server.prototype.listen;
const realExit = process.exit.bind(process);

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && first.path === undefined && first.fd === undefined) {
    if (first.handle === undefined && first._handle === undefined && wildcard(first.host)) args[0] = { ...first, host };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (typeof args[1] === "string") {
      if (wildcard(args[1])) args[1] = host;
    } else {
      args.splice(1, 0, host);
    }
  }
  return original.apply(this, args);
};

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    setTimeout(() => realExit(0), 2000).unref();
  });
}
