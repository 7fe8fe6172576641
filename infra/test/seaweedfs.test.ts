import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RETIRED_SERVICES, stopRetired } from "../src/local/down.ts";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { pidFilePath, readPidFile, writePidFile } from "../src/local/pid-files.ts";
import { ownedPids, spawnService } from "../src/local/process.ts";
import {
  grpcPort,
  renderMasterToml,
  renderS3Identities,
  renderWeedArgs,
} from "../src/local/render/seaweedfs-config.ts";
import { SERVICES } from "../src/local/services/index.ts";
import { BUCKETS, SEAWEEDFS_PORTS, seaweedfs, weedEnv } from "../src/local/services/seaweedfs.ts";
import { SERVICE_NAMES } from "../src/local/services/types.ts";

const DIR = "/state/seaweedfs";
const args = renderWeedArgs({ dir: DIR, ports: SEAWEEDFS_PORTS, s3Config: `${DIR}/s3.json` });
/** `-name=value` flags of the command line (the bare `-filer`, `-s3` switches as "true"). */
const flags = new Map(
  args
    .filter((a) => a.startsWith("-"))
    .map((a) => {
      const [name, ...value] = a.slice(1).split("=");
      return [name!, value.length ? value.join("=") : "true"] as const;
    }),
);

describe("the local S3 server (SeaweedFS)", () => {
  it("is the only S3 service, where MinIO was, on the S3 endpoint's port with the credentials and buckets of endpoints.ts", () => {
    expect(SERVICE_NAMES).not.toContain("minio");
    expect(SERVICE_NAMES.indexOf("seaweedfs")).toBe(SERVICE_NAMES.indexOf("elasticsearch") + 1);
    expect(SERVICES.map((s) => s.name)).toEqual([...SERVICE_NAMES]);
    expect(seaweedfs.url).toBe("http://127.0.0.1:9000");
    expect(seaweedfs.ports[0]).toBe(9000);
    expect(BUCKETS).toEqual(["reeltime-archive", "reeltime-media", "reeltime-uploads"]);
    const identities = JSON.parse(renderS3Identities(LOCAL_ENDPOINTS.s3)) as {
      identities: { credentials: { accessKey: string; secretKey: string }[]; actions: string[] }[];
    };
    expect(identities.identities).toHaveLength(1);
    expect(identities.identities[0]!.credentials).toEqual([
      { accessKey: "reeltime", secretKey: "reeltime-local-secret" },
    ]);
    expect(identities.identities[0]!.actions).toContain("Admin");
  });

  it("runs master, volume server, filer and S3 gateway in one process, every listener on 127.0.0.1", () => {
    expect(args.slice(0, 2)).toEqual(["-logtostderr", "server"]);
    expect(flags.get("ip")).toBe("127.0.0.1");
    expect(flags.get("ip.bind")).toBe("127.0.0.1");
    expect(flags.get("filer")).toBe("true");
    expect(flags.get("s3")).toBe("true");
    // Every port flag names a port the service declares (so `up` checks it is free), none of
    // them another service's; the listeners that would bind more are off.
    const portFlags = [...flags].filter(([name]) => /\.port(\.grpc)?$/.test(name));
    expect(portFlags.map(([name]) => name).sort()).toEqual(
      [
        "filer.port",
        "filer.port.grpc",
        "master.port",
        "master.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "volume.port",
        "volume.port.grpc",
      ].sort(),
    );
    expect(portFlags.map(([, v]) => Number(v)).sort()).toEqual([...seaweedfs.ports].sort());
    expect(flags.get("volume.port.grpc")).toBe(String(grpcPort(SEAWEEDFS_PORTS.volume)));
    expect(flags.get("s3.port.iceberg")).toBe("0");
    expect(flags.get("s3.port.lance")).toBe("0");
    expect(flags.get("s3.iam")).toBe("false");
    expect(flags.has("webdav")).toBe(false);
    expect(flags.has("metricsPort")).toBe(false);
    const others = SERVICES.filter((s) => s.name !== "seaweedfs").flatMap((s) => s.ports);
    for (const p of seaweedfs.ports) expect(others).not.toContain(p);
    expect(seaweedfs.ports).not.toContain(8080); // the ingest API's
  });

  it("keeps data, metadata and sockets under its folder, reports nothing home, creates no bucket on a PUT", () => {
    expect(flags.get("dir")).toBe(`${DIR}/data`);
    expect(flags.get("master.dir")).toBe(`${DIR}/meta`);
    expect(flags.get("filer.localSocket")).toBe(`${DIR}/filer.sock`);
    expect(flags.get("s3.localSocket")).toBe(`${DIR}/s3.sock`);
    expect(flags.get("s3.config")).toBe(`${DIR}/s3.json`);
    expect(flags.get("master.telemetry")).toBe("false");
    expect(flags.get("s3.autoCreateBucket")).toBe("false");
    expect(renderMasterToml()).toContain("copy_1 = 1");
  });

  it("starts without the caller's AWS credentials in its environment", () => {
    const env = weedEnv({ PATH: "/bin", AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s", S3_BUCKET: "b" }, DIR);
    expect(env).toEqual({ PATH: "/bin", HOME: DIR });
  });

  it("`down` still stops the MinIO an older `up` started (its pid file), when SeaweedFS is stopped too", async () => {
    expect(RETIRED_SERVICES).toEqual({ minio: "seaweedfs" });
    const state = mkdtempSync(join(tmpdir(), "reeltime-retired-"));
    try {
      mkdirSync(join(state, "run"), { recursive: true });
      const old = await spawnService(
        "minio",
        { command: "sh", args: ["-c", "sleep 60"], cwd: state, env: process.env },
        join(state, "minio.log"),
        [9000, 9001],
      );
      writePidFile(state, old.record);
      // Stopping only other services leaves it alone.
      expect(await stopRetired(state, 5000, ["kafka"])).toEqual([]);
      expect(ownedPids(old.record).length).toBeGreaterThan(0);
      expect(await stopRetired(state, 5000, ["seaweedfs"])).toEqual([
        { name: "minio", result: "stopped", pid: old.record.pid },
      ]);
      expect(ownedPids(old.record)).toEqual([]);
      expect(existsSync(pidFilePath(state, "minio"))).toBe(false);
      expect(readPidFile(state, "minio")).toBeUndefined();
      expect(await stopRetired(state, 5000)).toEqual([]);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
