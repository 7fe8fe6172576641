import { openDatabase } from "@reeltime/database";
import { storeSuite } from "./store-suite.ts";

// The unit suite against the PostgreSQL server `reeltime infra up` starts (REELTIME_PG_URL; the
// default is the local one, infra/src/local/endpoints.ts): real concurrent transactions.
const PG_URL = process.env.REELTIME_PG_URL ?? "postgres://reeltime:reeltime-local-secret@127.0.0.1:5433/reeltime";

storeSuite("postgres", () => openDatabase({ REELTIME_PG_URL: PG_URL }));
