import { ERRORS, ReeltimeError } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";
import { loadAdapter } from "../src/factory.ts";

// Each adapter other than embedded/fs is a package of its own (@reeltime/bus-kafka...), which
// the factory imports by name. Each adapter package's own tests check that the factory finds it.
describe("loadAdapter", () => {
  it("an adapter package this installation does not have is one line naming it, a usage error", async () => {
    // Resolved for real, from this package's folder, like the factory's own imports.
    const failed = await loadAdapter("REELTIME_BUS", "kafka", "@reeltime/no-such-adapter").catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ReeltimeError);
    const err = failed as ReeltimeError;
    expect(err.code).toBe("REELTIME_ERR_NOT_INSTALLED");
    expect(err.message).toBe(
      "REELTIME_BUS=kafka needs @reeltime/no-such-adapter, which this installation does not have: add @reeltime/no-such-adapter to the dependencies of the app that runs here and install again, or choose another REELTIME_BUS",
    );
    expect(err.message).not.toContain("\n");
    expect(ERRORS[err.code].exit).toBe("usage");
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ERR_MODULE_NOT_FOUND");
  });

  it("a package that is there but lacks one of its own dependencies is left as it is (a broken install)", async () => {
    const broken = Object.assign(
      new Error("Cannot find package 'kafkajs' imported from /app/packages/bus-kafka/src/kafka-bus.ts"),
      { code: "ERR_MODULE_NOT_FOUND" },
    );
    const failed = await loadAdapter("REELTIME_BUS", "kafka", "@reeltime/bus-kafka", async () => {
      throw broken;
    }).catch((e: unknown) => e);
    expect(failed).toBe(broken);
  });

  it("any other failure to load is left as it is", async () => {
    const boom = new SyntaxError("Unexpected token");
    const failed = await loadAdapter("REELTIME_QUERY", "athena", "@reeltime/query-athena", async () => {
      throw boom;
    }).catch((e: unknown) => e);
    expect(failed).toBe(boom);
  });

  it("returns the module the importer gives, asked for by the package name", async () => {
    const asked: string[] = [];
    const mod = { createKafkaBus: () => "bus" };
    const got = await loadAdapter("REELTIME_BUS", "kafka", "@reeltime/bus-kafka", async (s) => {
      asked.push(s);
      return mod;
    });
    expect(got).toBe(mod);
    expect(asked).toEqual(["@reeltime/bus-kafka"]);
  });
});
