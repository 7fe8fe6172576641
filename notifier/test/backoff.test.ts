import { describe, expect, it } from "vitest";
import { fullJitterMs, withoutAddresses } from "../src/deliveries.ts";

describe("fullJitterMs", () => {
  it("waits a uniform time below min(cap, base·2^(n-1))", () => {
    expect(fullJitterMs(1, 1000, 3_600_000, () => 0.5)).toBe(500);
    expect(fullJitterMs(5, 1000, 3_600_000, () => 0.5)).toBe(8000);
    expect(fullJitterMs(30, 1000, 3_600_000, () => 0.5)).toBe(1_800_000);
    expect(fullJitterMs(3, 1000, 3_600_000, () => 0)).toBe(0);
  });
});

describe("withoutAddresses", () => {
  it("keeps an IPv4 address's /24 and drops IPv6 addresses from error texts", () => {
    expect(withoutAddresses("connect ECONNREFUSED 10.1.2.3:443")).toBe("connect ECONNREFUSED 10.1.2.x:443");
    expect(withoutAddresses("connect ECONNREFUSED ::1:8080")).toBe("connect ECONNREFUSED [ipv6]");
    expect(withoutAddresses("connect ETIMEDOUT 2001:db8::1:443 and fe80::1%eth0")).toBe(
      "connect ETIMEDOUT [ipv6] and [ipv6]",
    );
    expect(withoutAddresses("the endpoint answered 500 at 12:30")).toBe("the endpoint answered 500 at 12:30");
    expect(withoutAddresses("host hooks.example.com resolves to a private address")).toBe(
      "host hooks.example.com resolves to a private address",
    );
  });
});
