// Preloaded into kinesis-local (`node --require`), whose servers listen on 0.0.0.0 with no
// setting to change it: every wildcard listen() is rewritten to 127.0.0.1 (or REELTIME_BIND_HOST).
"use strict";
const net = require("node:net");

const host = process.env.REELTIME_BIND_HOST || "127.0.0.1";
const wildcard = (h) => h === undefined || h === null || h === "" || h === "0.0.0.0" || h === "::";
const original = net.Server.prototype.listen;

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
