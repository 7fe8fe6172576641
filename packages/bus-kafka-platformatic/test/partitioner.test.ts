import { randomBytes } from "node:crypto";
import { murmur2 as clientMurmur2, compatibilityPartitioner } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { javaCompatiblePartitioner, murmur2 } from "../src/partitioner.ts";

describe("murmur2 (Kafka's, in 32-bit arithmetic)", () => {
  it("gives the numbers of Kafka's own UtilsTest", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it("equals @platformatic/kafka's for keys of every length up to 80 bytes, any bytes", () => {
    for (let length = 0; length <= 80; length++)
      for (let i = 0; i < 25; i++) {
        const key = randomBytes(length);
        expect(murmur2(key), key.toString("hex")).toBe(clientMurmur2(key));
      }
  });

  it("puts keys on the partition the client's compatibilityPartitioner picks", () => {
    const keys = ["", "view-1", "bench-view-12345", "01900000-0000-7000-8000-000000000001", "vue\u00e9-\u{1f3ac}"];
    for (const k of keys) {
      const key = Buffer.from(k);
      expect(javaCompatiblePartitioner({}, key)).toBe(compatibilityPartitioner({} as never, key));
      expect(javaCompatiblePartitioner({}, key)).toBeGreaterThanOrEqual(0);
    }
    expect(javaCompatiblePartitioner({}, undefined)).toBe(0);
  });
});
