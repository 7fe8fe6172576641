import { ReeltimeError } from "@reeltime/runtime";
import ipaddr from "ipaddr.js";

/** Names proxy-addr (Fastify's trustProxy) understands for address ranges. */
const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

function isAddressOrCidr(item: string): boolean {
  if (NAMED_RANGES.has(item)) return true;
  if (!item.includes("/")) return ipaddr.isValid(item);
  try {
    ipaddr.parseCIDR(item);
    return true;
  } catch {
    return false;
  }
}

/**
 * REELTIME_TRUST_PROXY as Fastify's `trustProxy`: `false` (the socket's address is the
 * client), a list of the load balancer's addresses/CIDRs (X-Forwarded-For is believed only
 * when it comes from them), or `true` (believed from anyone: any client picks its own IP,
 * and with it its rate limit; refused in production).
 */
export function parseTrustProxy(value: string, env: "development" | "production"): boolean | string[] {
  const v = value.trim();
  if (v === "" || v === "false") return false;
  if (v === "true") {
    if (env === "production")
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        'REELTIME_TRUST_PROXY: "true" trusts X-Forwarded-For from any client, so anyone can pick the IP ingest records and rate-limits; in production set the load balancer\'s addresses or CIDRs, comma-separated (e.g. 10.0.0.0/16,10.1.0.0/16)',
      );
    return true;
  }
  const items = v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = items.filter((s) => !isAddressOrCidr(s));
  if (bad.length > 0 || items.length === 0)
    throw new ReeltimeError(
      "REELTIME_ERR_CONFIG",
      `REELTIME_TRUST_PROXY: ${bad.map((b) => `"${b.slice(0, 100)}"`).join(", ") || "the list"} is not an IP address or CIDR; use false, or the load balancer's addresses/CIDRs comma-separated (e.g. 10.0.0.0/16,2600:1f18::/56)`,
    );
  return items;
}
