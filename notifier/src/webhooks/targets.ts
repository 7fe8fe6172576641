import { lookup as dnsLookup } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { ReeltimeError } from "@reeltime/runtime";

/**
 * The SSRF guard of webhook targets. In production (REELTIME_ENV=production) an endpoint may not
 * point at loopback, private, link-local, unspecified, multicast, CGNAT or reserved addresses,
 * nor at IPv4-mapped (or NAT64 / IPv4-compatible) IPv6 forms of those. The URL is checked when
 * the endpoint is registered; the addresses its name resolves to are checked again when a
 * delivery connects (DNS may have changed since: rebinding), and the connection goes to the
 * address that was checked. Development allows everything (local receivers).
 */

/** Why an address is refused, or undefined when it is a public unicast address. */
export type RefusedRange =
  | "loopback"
  | "private"
  | "link-local"
  | "unspecified"
  | "multicast"
  | "cgnat"
  | "reserved"
  | "not-an-address";

const V4_RANGES: [number[], number, RefusedRange][] = [
  [[0, 0, 0, 0], 8, "unspecified"],
  [[127, 0, 0, 0], 8, "loopback"],
  [[10, 0, 0, 0], 8, "private"],
  [[172, 16, 0, 0], 12, "private"],
  [[192, 168, 0, 0], 16, "private"],
  [[169, 254, 0, 0], 16, "link-local"],
  [[100, 64, 0, 0], 10, "cgnat"],
  [[224, 0, 0, 0], 4, "multicast"],
  [[240, 0, 0, 0], 4, "reserved"],
];

function inPrefix(bytes: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address (zone id dropped, embedded dotted IPv4 allowed). */
function v6Bytes(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, "");
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = v4Bytes(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = all.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function classifyV4(b: number[]): RefusedRange | undefined {
  for (const [prefix, bits, range] of V4_RANGES) if (inPrefix(b, prefix, bits)) return range;
  return undefined;
}

/** Why this IP address (v4 or v6, text) may not be a webhook target in production; undefined if it may. */
export function refusedRange(address: string): RefusedRange | undefined {
  const v4 = v4Bytes(address);
  if (v4) return classifyV4(v4);
  const b = v6Bytes(address);
  if (!b) return "not-an-address";
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 16)) return "unspecified";
  if (zero(0, 15) && b[15] === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d: the IPv4 address decides.
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  if (zero(0, 12)) return classifyV4(b.slice(12)) ?? "reserved";
  if (inPrefix(b, [0x00, 0x64, 0xff, 0x9b], 32) && zero(4, 12)) return classifyV4(b.slice(12));
  if (inPrefix(b, [0xfc], 7)) return "private";
  if (inPrefix(b, [0xfe, 0x80], 10)) return "link-local";
  if (inPrefix(b, [0xfe, 0xc0], 10)) return "private"; // site-local, deprecated
  if (inPrefix(b, [0xff], 8)) return "multicast";
  return undefined;
}

/** Whether the guard is on: production refuses non-public targets, development allows them. */
export function guardOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.REELTIME_ENV === "production";
}

function refused(what: string, why: string): ReeltimeError {
  return new ReeltimeError(
    "REELTIME_ERR_WEBHOOK_TARGET",
    `webhook target refused: ${what} ${why}; register a public http(s) URL (development, without REELTIME_ENV=production, allows local ones)`,
  );
}

/**
 * Checks an endpoint URL at registration (and again before each delivery): http or https,
 * no credentials in it, and, with the guard on, a host that is neither a refused address
 * literal nor `localhost`. Returns the parsed URL.
 */
export function checkTargetUrl(raw: string, opts: { guard: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused("the URL", "does not parse");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw refused(`scheme ${url.protocol}`, "is not http(s)");
  if (url.username || url.password) throw refused("the URL", "holds credentials (put them in the path or a query)");
  if (raw.length > 2048) throw refused("the URL", "is longer than 2048 characters");
  if (!opts.guard) return url;
  // WHATWG parsing already turned 0x7f.1, 2130706433 and friends into dotted IPv4.
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) throw refused(`host ${host}`, "is loopback");
  if (isIP(host)) {
    const range = refusedRange(host);
    if (range) throw refused("the address", `is ${range}`);
  }
  return url;
}

/** Resolves a name to every address (what the system resolver answers). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/**
 * A `lookup` for node:http(s)/net that resolves once, refuses the connection if any address is
 * refused (with the guard on), and hands the checked addresses to the socket: the connection
 * goes to an address that was validated, whatever DNS answers a moment later. `onAddress`
 * hears the address used (callers log it truncated, never whole).
 */
export function guardedLookup(opts: {
  guard: boolean;
  resolver?: Resolver;
  onAddress?: (address: string) => void;
}): LookupFunction {
  const resolver = opts.resolver ?? systemResolver;
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 4);
          return;
        }
        if (opts.guard)
          for (const a of addresses) {
            const range = refusedRange(a.address);
            if (range) {
              callback(refused(`host ${hostname}`, `resolves to a ${range} address`) as never, "", 4);
              return;
            }
          }
        const family = typeof options === "object" ? options.family : undefined;
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: "ENOTFOUND" }), "", 4);
          return;
        }
        opts.onAddress?.(usable[0]!.address);
        if (typeof options === "object" && options.all) (callback as (e: null, a: typeof usable) => void)(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, "", 4),
    );
  };
}
