import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { checkTargetUrl, guardedLookup, refusedRange } from "../../src/webhooks/targets.ts";

describe("refusedRange", () => {
  const cases: [string, string | undefined][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.1.2", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.254", "cgnat"],
    ["255.255.255.255", "reserved"],
    // IPv4-mapped IPv6, dotted and hex, and NAT64 / IPv4-compatible forms: the IPv4 address decides.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:100.64.0.1", "cgnat"],
    ["::ffff:0.0.0.0", "unspecified"],
    ["64:ff9b::192.168.0.1", "private"],
    ["::127.0.0.1", "loopback"],
    // Public addresses pass.
    ["93.184.216.34", undefined],
    ["172.32.0.1", undefined],
    ["100.128.0.1", undefined],
    ["8.8.8.8", undefined],
    ["::ffff:8.8.8.8", undefined],
    ["2606:4700:4700::1111", undefined],
    ["2001:db8::1", undefined],
    // Not an address at all.
    ["not-an-ip", "not-an-address"],
    ["1:2:3:4:5:6:7:8:9", "not-an-address"],
  ];
  it.each(cases)("%s → %s", (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });
});

describe("checkTargetUrl", () => {
  const refusedInProduction = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "https://api.localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.5/",
    "http://192.168.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://100.64.1.1/",
    "http://224.0.0.1/",
    // WHATWG parsing normalises these to 127.0.0.1.
    "http://2130706433/",
    "http://0x7f.1/",
  ];
  it.each(refusedInProduction)("refuses %s in production, allows it in development", (url) => {
    expect(() => checkTargetUrl(url, { guard: true })).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_WEBHOOK_TARGET" }),
    );
    expect(checkTargetUrl(url, { guard: false })).toBeInstanceOf(URL);
  });

  it("allows public http(s) URLs and refuses other schemes and credentials everywhere", () => {
    expect(checkTargetUrl("https://hooks.example.com/reeltime?x=1", { guard: true }).hostname).toBe(
      "hooks.example.com",
    );
    expect(checkTargetUrl("http://93.184.216.34:8080/", { guard: true }).port).toBe("8080");
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://x/",
      "https://user:pw@example.com/",
      "nope",
    ])
      for (const guard of [true, false])
        expect(() => checkTargetUrl(url, { guard })).toThrow(
          expect.objectContaining({ code: "REELTIME_ERR_WEBHOOK_TARGET" }),
        );
  });
});

describe("guardedLookup (connect time)", () => {
  const lookupOnce = (
    lookup: ReturnType<typeof guardedLookup>,
    host: string,
    options: { all?: boolean; family?: number } = {},
  ) =>
    new Promise<{ err: unknown; address: unknown; family?: number | undefined }>((resolve) =>
      lookup(host, options as never, (err, address, family) => resolve({ err, address, family })),
    );

  it("refuses a name that resolves to a private address (DNS rebinding after registration)", async () => {
    // Registration saw a public name; at delivery time DNS answers with an internal address.
    expect(checkTargetUrl("https://rebind.example.com/hook", { guard: true })).toBeInstanceOf(URL);
    const resolver = async () => [{ address: "10.0.0.7", family: 4 }];
    const r = await lookupOnce(guardedLookup({ guard: true, resolver }), "rebind.example.com");
    expect(r.err).toMatchObject({ code: "REELTIME_ERR_WEBHOOK_TARGET" });
  });

  it("refuses when any of several addresses is refused, and hands out only checked ones", async () => {
    const mixed = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "::ffff:169.254.169.254", family: 6 },
    ];
    expect((await lookupOnce(guardedLookup({ guard: true, resolver: mixed }), "x.example")).err).toMatchObject({
      code: "REELTIME_ERR_WEBHOOK_TARGET",
    });
    const seen: string[] = [];
    const pub = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ];
    const lookup = guardedLookup({ guard: true, resolver: pub, onAddress: (a) => seen.push(a) });
    expect(await lookupOnce(lookup, "x.example")).toEqual({ err: null, address: "93.184.216.34", family: 4 });
    expect((await lookupOnce(lookup, "x.example", { all: true })).address).toHaveLength(2);
    expect(await lookupOnce(lookup, "x.example", { family: 6 })).toEqual({
      err: null,
      address: "2606:2800:220:1::1",
      family: 6,
    });
    expect(seen).toEqual(["93.184.216.34", "93.184.216.34", "2606:2800:220:1::1"]);
  });

  it("the socket connects to the checked address: a real request through the lookup (guard off in development)", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    let resolved = 0;
    // The name resolves to loopback: allowed in development, refused with the guard on.
    const resolver = async () => {
      resolved++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const get = (guard: boolean) =>
      new Promise<string>((resolve, reject) => {
        const req = request(
          // agent: false, as deliveries do: a fresh connection, so every request looks up and checks.
          { host: "hooks.test", port, path: "/", agent: false, lookup: guardedLookup({ guard, resolver }) },
          (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end();
      });
    try {
      expect(await get(false)).toBe("ok");
      await expect(get(true)).rejects.toMatchObject({ code: "REELTIME_ERR_WEBHOOK_TARGET" });
      expect(resolved).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
