/** One committed change as a store records it: task sequence numbers, or null for "anything". */
import { formatTaskId } from "../domain/ids.js";
import type { ChangeEvent } from "./types.js";

export interface ChangeRecord {
  kind: ChangeEvent["kind"];
  seqs: number[] | null;
}

/** The event listeners get for a record. */
export function toChangeEvent(record: ChangeRecord, remote: boolean): ChangeEvent {
  return { kind: record.kind, taskIds: record.seqs === null ? null : record.seqs.map(formatTaskId), remote };
}
