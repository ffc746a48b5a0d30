/**
 * Every byte of a tool's schemas is in each client's tools/list, and often in a model's context.
 * `listed()` wraps a zod schema so validation is zod's own while the JSON Schema clients see
 * drops what carries no meaning for them: `$schema`, `additionalProperties: {}` and
 * `propertyNames: {type: "string"}` (true of any object anyway), the ±2^53 bounds zod puts on every integer,
 * `anyOf` of bare types (a nullable object) written as one type list (`type: ["object", "null"]`), and, for output schemas,
 * `required` and `additionalProperties: false`, which only matter to the server's own check (every
 * result is still validated against the full zod schema before it is sent). `terse` names
 * top-level properties whose items repeat a schema listed elsewhere (add_tasks_batch's tasks are
 * add_task's arguments, as its description says): their items are listed by type and required
 * fields only, and validated in full; a terse object property (update_task's changes, add_task's
 * fields) is listed by its type and description.
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";

type Json = Record<string, unknown>;

/** `{ "type": "string" }`: every JSON property name is one. */
function canonicalString(value: unknown): boolean {
  return JSON.stringify(value) === '{"type":"string"}';
}

/** The types of an `anyOf` whose branches are all bare `{type: "…"}`, else null. */
function bareTypes(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const types: string[] = [];
  for (const branch of value) {
    if (!branch || typeof branch !== "object") return null;
    const keys = Object.keys(branch);
    const type = (branch as Json).type;
    if (keys.length !== 1 || typeof type !== "string") return null;
    types.push(type);
  }
  return types;
}

function tidy(node: unknown, output: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => tidy(item, output));
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "$schema") continue;
    if (key === "anyOf" && !("type" in (node as Json))) {
      const types = bareTypes(tidy(value, output));
      if (types) {
        out.type = types;
        continue;
      }
    }
    if (key === "propertyNames" && canonicalString(value)) continue;
    if (key === "additionalProperties") {
      if (value && typeof value === "object" && Object.keys(value).length === 0) continue;
      if (value === false && output) continue;
    }
    if (key === "required" && output) continue;
    if ((key === "maximum" || key === "minimum") && Math.abs(value as number) === Number.MAX_SAFE_INTEGER)
      continue;
    out[key] = tidy(value, output);
  }
  return out;
}

/**
 * A repeated item schema reduced to what says "this is that other thing": its type and what is
 * required. The description of the property names the tool whose arguments the items are.
 */
function byReference(node: unknown): unknown {
  if (!node || typeof node !== "object" || Array.isArray(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "type" || key === "required") out[key] = value;
  }
  return out;
}

function terseItems(schema: Json, names: readonly string[]): Json {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties || names.length === 0) return schema;
  const next: Record<string, Json> = { ...properties };
  for (const name of names) {
    const property = next[name];
    if (property?.items) next[name] = { ...property, items: byReference(property.items) };
    // An object of another tool's fields (update_task's changes): its type and its description.
    else if (property?.properties) next[name] = { type: property.type, description: property.description };
  }
  return { ...schema, properties: next };
}

/**
 * JSON Schemas already computed, per zod schema. Converting add_task's input costs milliseconds,
 * and an HTTP server builds a fresh server instance for every 2026-07-28 request, which converts
 * the called tool's input schema again (the SDK checks Mcp-Param headers against it): schemas
 * defined once per module are converted once per process instead.
 */
const converted = new WeakMap<object, Map<string, Json>>();

function memo(schema: object, key: string, compute: () => Json): Json {
  let bySchema = converted.get(schema);
  if (!bySchema) {
    bySchema = new Map();
    converted.set(schema, bySchema);
  }
  let json = bySchema.get(key);
  if (json === undefined) {
    json = compute();
    bySchema.set(key, json);
  }
  return json;
}

/**
 * An output schema as listed: `{"type": "object"}`. Every tool's structuredContent is an object
 * whose `message` is the sentence of its text; what else it holds (the task, the page, the counts)
 * the tool's description says, and it is still validated against the full zod schema before it
 * is sent. Listing every tool's full output schema would cost about 1,700 bytes of tools/list
 * (17 tools), in every client's context, for nothing a client acts on: all tools' schemas
 * together stay under 9,000 bytes (test/mcp/surface.test.ts).
 */
function objectOnly(schema: Json): Json {
  return schema.type === "object" ? { type: "object" } : schema;
}

export function listed<T extends z.ZodType>(
  schema: T,
  options: { terse?: readonly string[] } = {},
): StandardSchemaWithJSON<z.input<T>, z.output<T>> {
  const std = schema["~standard"] as unknown as StandardSchemaWithJSON<z.input<T>, z.output<T>>["~standard"];
  const terse = options.terse ?? [];
  const key = (kind: string, opts: unknown) => `${kind}|${terse.join(",")}|${JSON.stringify(opts)}`;
  return {
    "~standard": {
      ...std,
      jsonSchema: {
        input: (opts) =>
          memo(schema, key("input", opts), () =>
            terseItems(tidy(std.jsonSchema.input(opts), false) as Json, terse),
          ),
        output: (opts) =>
          memo(schema, key("output", opts), () =>
            objectOnly(tidy(std.jsonSchema.output(opts), true) as Json),
          ),
      },
    },
  };
}
