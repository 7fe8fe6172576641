import { promisify } from "node:util";
import { zstdCompress, zstdDecompress } from "node:zlib";
import { ReeltimeError } from "@reeltime/runtime";
import kafkajs from "kafkajs";

const { CompressionCodecs, CompressionTypes } = kafkajs;

const zstd = promisify(zstdCompress);
const unzstd = promisify(zstdDecompress);

/** What kafkajs calls for a codec: compress an encoder's buffer, decompress a record batch. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** zstd from Node's own zlib: no native add-on to build or download. */
const zstdCodec: Codec = {
  compress: (encoder) => zstd(encoder.buffer),
  decompress: (buffer) => unzstd(buffer),
};

/** LZ4 frames (the format Kafka uses since message format v1) through lz4-napi's prebuilt binary. */
async function lz4Codec(): Promise<Codec> {
  const lz4 = await import("lz4-napi");
  return {
    compress: (encoder) => lz4.compressFrame(encoder.buffer),
    decompress: (buffer) => lz4.decompressFrame(buffer),
  };
}

export type Compression = "zstd" | "lz4" | "gzip" | "none";

let lz4Loaded: Promise<Codec> | null = null;

/**
 * Registers zstd (always, so this client can read zstd batches whatever it writes) and LZ4
 * (when chosen or met) in kafkajs' codec table; returns the type for the producer.
 */
export async function registerCodecs(compression: Compression): Promise<number> {
  const codecs = CompressionCodecs as unknown as Record<number, () => Codec>;
  codecs[CompressionTypes.ZSTD] = () => zstdCodec;
  try {
    lz4Loaded ??= lz4Codec();
    const lz4 = await lz4Loaded;
    codecs[CompressionTypes.LZ4] = () => lz4;
  } catch (e) {
    if (compression === "lz4") {
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        "REELTIME_KAFKA_COMPRESSION=lz4 needs the lz4-napi package, which did not load on this platform: use zstd",
        { cause: e },
      );
    }
  }
  switch (compression) {
    case "zstd":
      return CompressionTypes.ZSTD;
    case "lz4":
      return CompressionTypes.LZ4;
    case "gzip":
      return CompressionTypes.GZIP;
    default:
      return CompressionTypes.None;
  }
}
