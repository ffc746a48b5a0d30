/**
 * Every error the `pg` driver or the server raises is normalised here, and only here, into a
 * RalphError. What may succeed if tried again (the server restarting, a dropped connection, a
 * deadlock victim, too many connections) becomes a retryable StoreUnavailableError with a sentence
 * a person or a model can act on; the decision is a table of SQLSTATE codes and socket error codes,
 * never a match on message text.
 */
import pg from "pg";
import { RalphError, StoreUnavailableError, storeFailed } from "../../domain/errors.js";

/**
 * SQLSTATE codes after which the same call may succeed later, with what they mean in plain words.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const RETRYABLE_SQLSTATES: Readonly<Record<string, string>> = {
  // Class 08: connection exception.
  "08000": "the connection failed",
  "08003": "the connection does not exist",
  "08006": "the connection failed",
  "08001": "PostgreSQL could not be reached",
  "08004": "PostgreSQL refused the connection",
  // Class 40: transaction rollback. The transaction was rolled back whole; nothing was written.
  "40001": "a concurrent transaction conflicted with this one (serialization failure)",
  "40P01": "a deadlock with a concurrent transaction was broken by cancelling this one",
  // Class 53: insufficient resources.
  "53000": "PostgreSQL is out of resources",
  "53100": "PostgreSQL's disk is full",
  "53200": "PostgreSQL is out of memory",
  "53300": "PostgreSQL has too many connections",
  // Class 55/57: operator intervention, locks, timeouts.
  "55P03": "a lock could not be taken in time",
  "57014": "the statement took too long and was cancelled",
  "57P01": "PostgreSQL is shutting down or the connection was terminated by an administrator",
  "57P02": "PostgreSQL crashed and is restarting",
  "57P03": "PostgreSQL is starting up and does not accept connections yet",
  "57P05": "the connection was idle for too long",
  // A failover left us on a read-only standby; the next connection may reach the new primary.
  "25006": "the server is read-only (a standby, or a failover in progress)",
  // Class 58: system error (an I/O error on the server).
  "58000": "PostgreSQL had a system error",
  "58030": "PostgreSQL had an I/O error",
};

/** SQLSTATEs after which the transaction is known to have been rolled back whole, so running it again is safe. */
const ROLLED_BACK_SQLSTATES: ReadonlySet<string> = new Set(["40001", "40P01"]);

/** Node.js socket errors: the connection could not be made, or broke. */
const RETRYABLE_SOCKET_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "PostgreSQL refused the connection (is it running?)",
  ECONNRESET: "the connection was reset",
  ECONNABORTED: "the connection was aborted",
  EPIPE: "the connection was closed",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the database host is unreachable",
  ENETUNREACH: "the network is unreachable",
  ENETDOWN: "the network is down",
  EHOSTDOWN: "the database host is down",
  ENOTFOUND: "the database host name could not be resolved",
  EAI_AGAIN: "the database host name could not be resolved (temporary DNS failure)",
};

function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError && typeof error.code === "string" ? error.code : undefined;
}

/**
 * The driver reports a broken or impossible connection as a plain `Error` ("Connection terminated
 * unexpectedly", "timeout expired", "Client has encountered a connection error") or as a socket
 * error with a `code`. Everything the server itself says is a DatabaseError with a SQLSTATE.
 * Programming errors (TypeError, RangeError, …) are neither and must not be mistaken for an outage.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof pg.DatabaseError || error instanceof RalphError)
    return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code in RETRYABLE_SOCKET_CODES;
  return error.constructor === Error;
}

/** True when the server rolled the whole transaction back for a reason that may not recur. */
export function isRolledBack(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && ROLLED_BACK_SQLSTATES.has(code);
}

/** Why the call failed, in plain words, when it may succeed later; else undefined. */
function retryableReason(error: unknown): string | undefined {
  const code = sqlState(error);
  if (code !== undefined) return RETRYABLE_SQLSTATES[code];
  if (!isConnectionError(error)) return undefined;
  const socketCode = (error as { code?: unknown }).code;
  return typeof socketCode === "string"
    ? RETRYABLE_SOCKET_CODES[socketCode]
    : "the connection to PostgreSQL was lost";
}

/**
 * The one place driver and server errors become RalphErrors. A RalphError (a domain error thrown
 * inside a transaction) passes through unchanged.
 */
export function normalizeError(
  error: unknown,
  location: string,
  /** The write had been sent when it failed (so a broken connection leaves its outcome unknown). */
  options: { sent?: boolean } = {},
): RalphError {
  if (error instanceof RalphError) return error;
  if (options.sent === true && isConnectionError(error)) {
    return new StoreUnavailableError(
      `The connection to the PostgreSQL task store (${location}) broke after the write was sent, so whether it was made is not known.`,
      error,
      "outcome_unknown",
    );
  }
  const reason = retryableReason(error);
  if (reason !== undefined) {
    return new StoreUnavailableError(
      `The PostgreSQL task store (${location}) is unavailable: ${reason}. Everything acknowledged before is safe.`,
      error,
    );
  }
  const code = sqlState(error);
  const detail = error instanceof Error ? error.message : String(error);
  return storeFailed(
    code === undefined
      ? `The PostgreSQL task store (${location}) failed: ${detail}`
      : `PostgreSQL (${location}) refused the operation (SQLSTATE ${code}): ${detail}`,
    error,
  );
}
