/** PostgreSQL store: implemented by the scale-out work (issue 6). */
import { RalphError } from "../../domain/errors.js";
import type { TaskStore } from "../types.js";

export interface PostgresStoreOptions {
  connectionString: string;
}

export async function openPostgresStore(_options: PostgresStoreOptions): Promise<TaskStore> {
  throw new RalphError("store_unavailable", "The PostgreSQL store is not available in this build yet.");
}
