/** The one event emitter (src/emitter.ts): order, unsubscribe, and a throwing listener. */
import { describe, expect, it } from "vitest";
import { Emitter } from "../src/emitter.js";

describe("Emitter", () => {
  it("calls listeners in subscription order until they unsubscribe", () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const offA = emitter.on((n) => seen.push(`a${n}`));
    emitter.on((n) => seen.push(`b${n}`));
    emitter.emit(1);
    offA();
    offA();
    emitter.emit(2);
    expect(seen).toEqual(["a1", "b1", "b2"]);
    expect(emitter.size).toBe(1);
  });

  it("hands a listener's failure to onError and goes on with the others", () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>((error) => errors.push(error));
    const seen: string[] = [];
    emitter.on(() => {
      throw new Error("boom");
    });
    emitter.on((s) => seen.push(s));
    emitter.emit("x");
    expect(seen).toEqual(["x"]);
    expect(errors).toEqual([new Error("boom")]);
  });
});
