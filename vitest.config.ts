import { defineConfig } from "vitest/config";
import { LOCAL_ENDPOINTS } from "./infra/src/local/endpoints.ts";
import { hermeticPath } from "./packages/testkit/src/hermetic-path.ts";

// Two tiers: "unit" runs on the embedded adapters in seconds; "integration" needs the real
// local services that `reeltime infra up` starts (scripts/test.ts does that for `npm test`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.int.test.ts", "**/*.e2e.test.ts"],
          // Hermetic by construction: only node_modules/.bin and basic shell tools are on PATH,
          // so a unit test that spawns ffmpeg, Chromium, Java or Go fails on every machine
          // (packages/testkit/src/hermetic-path.ts; checked by packages/testkit/test/hermetic.test.ts).
          env: { PATH: hermeticPath(import.meta.dirname), REELTIME_UNIT_TIER: "1" },
          // A hang guard, not a speed goal (bench/ has those): some unit tests run the CLI in a
          // child process or API Extractor, which take several seconds while every core is busy
          // with the other test files; 5 s failed them on a loaded machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["**/test/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 120_000,
          // The credentials of the local S3 server, SeaweedFS (kinesis-local accepts any), and the
          // local PostgreSQL's URL; see docs/local-services.md.
          env: {
            AWS_ACCESS_KEY_ID: "reeltime",
            AWS_SECRET_ACCESS_KEY: "reeltime-local-secret",
            AWS_REGION: "us-east-1",
            REELTIME_PG_URL: LOCAL_ENDPOINTS.postgres.url,
            // The second Elasticsearch, 9.x: search proofs run on both majors (docs/local-services.md).
            REELTIME_ES9_URL: process.env.REELTIME_ES9_URL ?? LOCAL_ENDPOINTS.elasticsearch9.url,
          },
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
