import { join } from "node:path";

/**
 * The HTTP ports of one `weed server -s3` process: the S3 gateway (what clients use) and the
 * master, volume server and filer behind it. Each also binds a gRPC port, HTTP + 10000.
 */
export interface SeaweedPorts {
  s3: number;
  master: number;
  volume: number;
  filer: number;
}

/** SeaweedFS's rule for a component's gRPC port; reeltime passes it explicitly all the same. */
export function grpcPort(httpPort: number): number {
  return httpPort + 10_000;
}

/** Every port the process binds, the S3 port first (LocalService.ports). */
export function seaweedPortList(p: SeaweedPorts): number[] {
  const http = [p.s3, p.master, p.volume, p.filer];
  return [...http, ...http.map(grpcPort)];
}

/** Credentials of the one S3 identity, allowed everything (bucket creation included). */
export interface S3Identity {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The S3 gateway's static identities file (`-s3.config`). `anonymousRead` buckets get SeaweedFS's
 * `anonymous` identity with `Read:<bucket>` (GET/HEAD of objects, no listing): the local edge
 * (nginx) reads the media bucket unsigned, where CloudFront would sign with origin access control.
 */
export function renderS3Identities(identity: S3Identity, opts: { anonymousRead?: readonly string[] } = {}): string {
  const anonymous = opts.anonymousRead?.length
    ? [{ name: "anonymous", actions: opts.anonymousRead.map((b) => `Read:${b}`) }]
    : [];
  return `${JSON.stringify(
    {
      identities: [
        {
          name: "reeltime",
          credentials: [{ accessKey: identity.accessKeyId, secretKey: identity.secretAccessKey }],
          actions: ["Admin", "Read", "Write", "List", "Tagging"],
        },
        ...anonymous,
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * master.toml, read from the working directory: one volume per bucket (collection) at a time
 * instead of 7, so three buckets do not make 21 volumes on a developer's disk.
 */
export function renderMasterToml(): string {
  return ["[master.volume_growth]", "copy_1 = 1", ""].join("\n");
}

/**
 * Arguments of `weed` for a single-node SeaweedFS with its S3 gateway: master, volume server,
 * filer and S3 in one process, every HTTP and gRPC listener on 127.0.0.1, data and metadata
 * under `dir`, logs on stderr (no files in /tmp), no telemetry, no Iceberg/Lance/IAM listeners.
 */
export function renderWeedArgs(opts: {
  dir: string;
  ports: SeaweedPorts;
  s3Config: string;
  volumeSizeLimitMB?: number;
}): string[] {
  const { dir, ports } = opts;
  return [
    "-logtostderr",
    "server",
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    `-dir=${join(dir, "data")}`,
    `-master.dir=${join(dir, "meta")}`,
    `-master.port=${ports.master}`,
    `-master.port.grpc=${grpcPort(ports.master)}`,
    // One master: it resumes its raft state and leads at once on a restart, instead of waiting
    // out an election (10 s) during which every read and write hangs.
    "-master.peers=none",
    `-master.volumeSizeLimitMB=${opts.volumeSizeLimitMB ?? 256}`,
    "-master.telemetry=false",
    `-volume.port=${ports.volume}`,
    `-volume.port.grpc=${grpcPort(ports.volume)}`,
    // 0: as many volumes as the free disk holds (volumes are sparse files; 8, the default, is
    // fewer than a few buckets need).
    "-volume.max=0",
    "-volume.preStopSeconds=1",
    "-filer",
    `-filer.port=${ports.filer}`,
    `-filer.port.grpc=${grpcPort(ports.filer)}`,
    `-filer.localSocket=${join(dir, "filer.sock")}`,
    "-s3",
    `-s3.port=${ports.s3}`,
    `-s3.port.grpc=${grpcPort(ports.s3)}`,
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-s3.iam=false",
    `-s3.config=${opts.s3Config}`,
    `-s3.localSocket=${join(dir, "s3.sock")}`,
    // As on AWS S3: a PUT into a bucket that does not exist is NoSuchBucket, not a new bucket.
    "-s3.autoCreateBucket=false",
  ];
}
