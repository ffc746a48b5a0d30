/** Every statement of the PostgreSQL store, built once for the store's schema. */
import * as bulk from "./bulk.js";
import * as claim from "./claim.js";
import * as complete from "./complete.js";
import * as create from "./create.js";
import * as edit from "./edit.js";
import * as read from "./read.js";
import * as runs from "./runs.js";
import * as transition from "./transition.js";

const builders = { ...claim, ...complete, ...create, ...read, ...transition, ...bulk, ...runs, ...edit };

export type Statements = { [K in keyof typeof builders]: ReturnType<(typeof builders)[K]> };

/** `schema` is an already quoted identifier (connection.ts validates and quotes it). */
export function buildStatements(schema: string): Statements {
  return Object.fromEntries(
    Object.entries(builders).map(([key, build]) => [key, build(schema)]),
  ) as Statements;
}
