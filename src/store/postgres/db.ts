/**
 * The store's one way to reach PostgreSQL: single statements (autocommit) and transactions, over a
 * `pg` Pool. Errors leave here normalised (errors.ts). What is retried here, and why it is safe:
 *
 * - a transaction the server rolled back whole (deadlock victim 40P01, serialization failure 40001):
 *   nothing was written, so it runs again, a few times;
 * - a transaction whose connection broke before COMMIT was sent: the server rolls it back, so it runs
 *   again once on a fresh connection (a pooled connection may have been terminated while idle);
 * - a read whose connection broke: reads change nothing.
 *
 * A write whose connection broke during or after sending it is never repeated: it may have
 * committed. The caller gets a StoreUnavailableError whose failure is "outcome_unknown" (not
 * retryable: look before writing again; idempotency keys make a repeated add safe).
 */
import type pg from "pg";
import { StoreUnavailableError } from "../../domain/errors.js";
import { isConnectionError, isRolledBack, normalizeError } from "./errors.js";

/** A statement; a `name` makes `pg` prepare it once per connection (the hot paths use one). */
export interface Statement {
  name?: string | undefined;
  text: string;
}

export interface Queryable {
  query<R extends pg.QueryResultRow>(statement: Statement, values?: unknown[]): Promise<R[]>;
}

/** Thrown inside a transaction to run it again from the start (e.g. a concurrent insert won a key). */
export class RetryTransaction extends Error {}

const ROLLED_BACK_TRIES = 5;

export class Database {
  constructor(
    readonly pool: pg.Pool,
    /** For messages: where the data lives, without the password. */
    readonly location: string,
  ) {}

  /**
   * Check a connection out of the pool. While it is out, `pg` would emit an unhandled 'error' (and
   * crash the process) if the server ended it, even in the middle of a query: the pool only
   * listens on idle connections. So we listen until release, and a connection that broke is
   * destroyed rather than returned.
   */
  private async connect(): Promise<{ client: pg.PoolClient; release: (error?: unknown) => void }> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw normalizeError(error, this.location);
    }
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on("error", onError);
    return {
      client,
      release: (error?: unknown) => {
        client.off("error", onError);
        client.release(lost ?? (isConnectionError(error) ? (error as Error) : undefined));
      },
    };
  }

  /** One statement in its own transaction. `readOnly` statements are retried once on a broken connection. */
  async query<R extends pg.QueryResultRow>(
    statement: Statement,
    values: unknown[] = [],
    options: { readOnly?: boolean } = {},
  ): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      const { client, release } = await this.connect();
      try {
        const result = await client.query<R>({ name: statement.name, text: statement.text, values });
        release();
        return result.rows;
      } catch (error) {
        release(error);
        const again =
          (isRolledBack(error) && attempt < ROLLED_BACK_TRIES) ||
          (options.readOnly === true && isConnectionError(error) && attempt < 2);
        if (!again) throw normalizeError(error, this.location, { sent: options.readOnly !== true });
      }
    }
  }

  /**
   * Run `fn` inside BEGIN … COMMIT (READ COMMITTED) on one connection. The promise resolves only
   * after COMMIT returned: what it acknowledges is durable. `fn` may run more than once (see the
   * top of this file), so it must not change anything outside the database.
   */
  async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const { client, release } = await this.connect();
      const tx: Queryable = {
        query: async <Row extends pg.QueryResultRow>(statement: Statement, values: unknown[] = []) =>
          (await client.query<Row>({ name: statement.name, text: statement.text, values })).rows,
      };
      let committing = false;
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        committing = true;
        await client.query("COMMIT");
        release();
        return result;
      } catch (error) {
        let broken = isConnectionError(error);
        if (!broken && !committing) {
          try {
            await client.query("ROLLBACK");
          } catch {
            broken = true; // the connection is gone; the server rolls the transaction back itself
          }
        }
        release(broken ? error : undefined);
        const again =
          (error instanceof RetryTransaction && attempt < ROLLED_BACK_TRIES) ||
          (isRolledBack(error) && attempt < ROLLED_BACK_TRIES) ||
          (isConnectionError(error) && !committing && attempt < 2);
        if (!again) {
          if (error instanceof RetryTransaction) {
            throw new StoreUnavailableError(
              `The PostgreSQL task store (${this.location}) met ${ROLLED_BACK_TRIES} concurrent conflicts in a row.`,
            );
          }
          throw normalizeError(error, this.location, { sent: committing });
        }
      }
    }
  }
}
