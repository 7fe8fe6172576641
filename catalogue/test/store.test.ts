import { MEMORY_URL, openDatabase } from "@reeltime/database";
import { storeSuite } from "./store-suite.ts";

storeSuite("pglite", () => openDatabase({ REELTIME_PG_URL: MEMORY_URL }));
