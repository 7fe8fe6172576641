import { homedir } from "node:os";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";
import { endpointsFromEnv, LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { loadSettings, REPO_ROOT } from "../src/local/settings.ts";

describe("infra settings", () => {
  it("caches outside the repo and keeps state inside it by default", () => {
    const s = loadSettings({});
    expect(s.cacheDir).toBe(join(homedir(), ".cache", "reeltime"));
    expect(s.stateDir).toBe(join(REPO_ROOT, ".reeltime", "infra"));
    expect(s.logDir).toBe(join(REPO_ROOT, ".reeltime", "infra", "logs"));
    expect(s.kafkaPartitions).toBe(4);
    expect(s.kinesisShards).toBe(2);
  });

  it("reads overrides from env", () => {
    const s = loadSettings({
      REELTIME_CACHE_DIR: "/c",
      REELTIME_STATE_DIR: "/s",
      REELTIME_KAFKA_PARTITIONS: "8",
      REELTIME_KINESIS_SHARDS: "1",
    });
    expect([s.cacheDir, s.stateDir, s.kafkaPartitions, s.kinesisShards]).toEqual(["/c", "/s", 8, 1]);
  });

  it("names the bad variable", () => {
    expect(() => loadSettings({ REELTIME_KAFKA_PARTITIONS: "zero" })).toThrow(ReeltimeError);
    expect(() => loadSettings({ REELTIME_KINESIS_SHARDS: "0" })).toThrow(/REELTIME_KINESIS_SHARDS/);
  });
});

describe("endpoints", () => {
  it("are the local services when no env var is set", () => {
    const e = endpointsFromEnv({});
    expect(e.kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(e.elasticsearch).toEqual({ url: "http://127.0.0.1:9200" });
    expect(e.s3).toMatchObject({
      endpoint: LOCAL_ENDPOINTS.s3.endpoint,
      forcePathStyle: true,
      bucket: "reeltime-archive",
    });
    expect(e.kinesis.endpoint).toBe("http://127.0.0.1:4568");
    expect(e.region).toBe("us-east-1");
    expect(e.athena).toEqual({});
  });

  it("point at external clusters when set", () => {
    const e = endpointsFromEnv({
      REELTIME_KAFKA_BROKERS: "b-1.msk:9094, b-2.msk:9094",
      REELTIME_ES_URL: "https://es.example:443",
      REELTIME_ES_API_KEY: "key",
      REELTIME_S3_ENDPOINT: "aws",
      REELTIME_S3_BUCKET: "my-archive",
      REELTIME_KINESIS_ENDPOINT: "aws",
      AWS_REGION: "eu-west-1",
      REELTIME_ATHENA_WORKGROUP: "analysts",
      REELTIME_ATHENA_OUTPUT: "s3://my-results/",
    });
    expect(e.kafka.brokers).toEqual(["b-1.msk:9094", "b-2.msk:9094"]);
    expect(e.elasticsearch).toEqual({ url: "https://es.example:443", apiKey: "key" });
    expect(e.s3).toEqual({ forcePathStyle: false, bucket: "my-archive" });
    expect(e.kinesis).toEqual({});
    expect(e.region).toBe("eu-west-1");
    expect(e.athena).toEqual({ workgroup: "analysts", output: "s3://my-results/" });
  });

  it("keep a custom S3-compatible endpoint without local credentials", () => {
    const e = endpointsFromEnv({ REELTIME_S3_ENDPOINT: "https://s3.internal", REELTIME_S3_FORCE_PATH_STYLE: "true" });
    expect(e.s3).toEqual({ endpoint: "https://s3.internal", forcePathStyle: true, bucket: "reeltime-archive" });
  });
});
