/**
 * What the packaging tests ask of an installed ralph-mcp, however it was installed: started as a
 * client starts it (a command, its arguments, its environment), it answers initialize and
 * tools/list, and takes a task through add → claim → complete over stdio. The client is the
 * 2025-era SDK's, as Claude Desktop speaks.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { expect } from "vitest";

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface WalkResult {
  server: { name: string; version: string } | undefined;
  tools: string[];
  /** What the server wrote to stderr meanwhile. */
  stderr: string;
}

type ToolResult = {
  isError?: boolean;
  content?: Array<{ text?: string }>;
  structuredContent?: Record<string, unknown>;
};

export async function walkThrough(launch: Launch): Promise<WalkResult> {
  const transport = new StdioClientTransport({ ...launch, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "claude-desktop-like", version: "1.0.0" });
  await client.connect(transport);
  try {
    const server = client.getServerVersion();
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const result = (await client.callTool({ name, arguments: args })) as ToolResult;
      const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
      expect(result.isError ?? false, `${name}: ${text}`).toBe(false);
      return { text, structured: result.structuredContent ?? {} };
    };
    expect((await call("add_task", { description: "Write a haiku about MCP" })).text).toBe(
      "Created task: task-001",
    );
    const claimed = await call("claim_next_task");
    expect(claimed.structured.task).toMatchObject({ id: "task-001", status: "in_progress", attempts: 1 });
    const done = await call("complete_task", { task_id: "task-001", result: "Servers speak in streams" });
    expect(done.text).toBe("Completed task: task-001");
    return { server: server ? { name: server.name, version: server.version } : undefined, tools, stderr };
  } finally {
    await client.close();
  }
}
