/**
 * Time comes from the database clock, not the caller's: many servers on many machines share one
 * queue, and a lease taken on one machine is judged expired on another. Values are cut to whole
 * milliseconds so that what is stored is exactly what a JavaScript Date (and an ISO string) holds.
 */

/** The statement's start, for single-statement writes. */
export const STATEMENT_NOW = "date_trunc('milliseconds', statement_timestamp())";

/** The wall clock as epoch milliseconds (a float8 `pg` returns as a number), for the JS transitions. */
export const NOW_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::float8";
