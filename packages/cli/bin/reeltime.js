#!/usr/bin/env node
// Entry point of the `reeltime` command; the TypeScript sources run on Node's type stripping.
import { main } from "../src/main.ts";

process.exitCode = await main(process.argv);
