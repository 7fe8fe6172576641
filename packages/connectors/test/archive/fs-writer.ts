// Child process for the fs archive's crash test: writes one object slowly enough (small
// chunks) that the parent can SIGKILL it while the temp file grows.
import { randomBytes } from "node:crypto";
import { createFsArchive } from "../../src/archive/fs/index.ts";

const [dataDir, key, size] = process.argv.slice(2);
const archive = createFsArchive({ REELTIME_DATA_DIR: dataDir! }, { chunkBytes: 16 * 1024 });
await archive.start();
const body = randomBytes(Number(size));
process.stdout.write("writing\n");
await archive.put(key!, body);
process.stdout.write("done\n");
