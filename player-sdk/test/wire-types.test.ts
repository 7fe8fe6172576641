// The SDK's published types are built on player-sdk/src/generated/wire.ts, plain interfaces
// generated from the contract. Here the type checker (tsc -b, part of npm test) proves them
// equal, in both directions, to the contract's own types for every browser event type.
import type { EventOf as ContractEventOf, EventType } from "@reeltime/events";
import { exampleEvent } from "@reeltime/events";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { EventMap, EventOf } from "../src/generated/wire.ts";

// playback.delivery is made by reeltime from CDN logs: not a browser event (the write API refuses it).
type Browser = Exclude<Extract<EventType, `playback.${string}` | "click">, "playback.delivery">;
type Missing = Exclude<Browser, keyof EventMap>;
type Extra = Exclude<keyof EventMap, Browser>;

/** A value of A is always a B and the other way round (TypeBox's and the generated optional fields differ only in spelling). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllSame = { [T in Browser]: Same<EventOf<T>, ContractEventOf<T>> }[Browser];

describe("the generated wire types equal the contract's", () => {
  it("cover exactly the browser event types", () => {
    expectTypeOf<Missing>().toEqualTypeOf<never>();
    expectTypeOf<Extra>().toEqualTypeOf<never>();
  });

  it("are assignable both ways for every event type", () => {
    expectTypeOf<AllSame>().toEqualTypeOf<true>();
    // And at run time: the contract's examples are values of the generated types.
    const heartbeat: EventOf<"playback.heartbeat"> = exampleEvent("playback.heartbeat");
    expect(heartbeat.stats.playing_ms).toBeGreaterThanOrEqual(0);
  });
});
