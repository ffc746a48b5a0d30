/**
 * Issue 13: output is capped in bytes on the pipe but configured in characters; the result of a
 * run through the stdio server never has half a UTF-8 character (a replacement character) or half
 * a surrogate pair in it, whether the cut falls in the bytes or in the characters.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRaw, toolText } from "../helpers/raw-stdio.js";
import { tempDb } from "../mcp/helpers.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_CHARS = 64;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

async function resultOf(output: string): Promise<string> {
  const tmp = tempDb();
  cleanups.push(tmp.cleanup);
  const out = join(tmp.dir, "out.txt");
  writeFileSync(out, output);
  const config = join(tmp.dir, "config.json");
  writeFileSync(config, JSON.stringify({ maxOutputChars: MAX_CHARS }));
  const raw = startRaw(tmp.db, {
    RALPH_EXECUTOR: "command",
    RALPH_EXECUTOR_COMMAND: `cat '${out}'`,
    RALPH_VERIFIER: "none",
    RALPH_CONFIG: config,
  });
  cleanups.push(() => raw.child.kill("SIGKILL"));
  await raw.initialize();
  await raw.request("tools/call", { name: "add_task", arguments: { description: "print" } });
  const run = await raw.request("tools/call", { name: "run_orchestrator", arguments: { max_tasks: 1 } });
  expect(toolText(run)).toContain("completed 1");
  const task = await raw.request("tools/call", { name: "get_task", arguments: { task_id: "task-001" } });
  raw.child.stdin.end();
  await raw.exited;
  return (task.result as { structuredContent: { task: { result: string } } }).structuredContent.task.result;
}

describe("output capped in bytes, configured in characters", () => {
  it("never cuts a UTF-8 character in half: a cut in the bytes drops the partial character", async () => {
    // 1 + 30 × 4 + 40 × 2 bytes: past the 192-byte pipe cap in the middle of an "é".
    const result = await resultOf(`a${"😀".repeat(30)}${"é".repeat(40)}`);
    expect(result).not.toContain("\uFFFD");
    expect(result).not.toMatch(LONE_SURROGATE);
    expect(result.length).toBeLessThanOrEqual(MAX_CHARS);
    expect(result).toContain("[output cut");
  });

  it("never cuts a surrogate pair in half: a cut in the characters backs off by one", async () => {
    for (const lead of ["", "a"]) {
      const result = await resultOf(`${lead}${"😀".repeat(40)}`);
      expect(result, JSON.stringify(lead)).not.toMatch(LONE_SURROGATE);
      expect(result.startsWith(`${lead}😀`)).toBe(true);
      expect(result).toContain("[output cut");
    }
  });
});
