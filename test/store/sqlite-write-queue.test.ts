/**
 * The SQLite group-commit queue on its own (write-queue.ts): what is queued in one turn commits in
 * one transaction, one bad operation fails alone, a promise resolves only after COMMIT, and a
 * write lock held elsewhere for too long fails the writes without changing anything.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeRecord } from "../../src/store/changes.js";
import { openSqliteDatabase, type SqliteDatabase } from "../../src/store/sqlite/driver.js";
import { WriteQueue } from "../../src/store/sqlite/write-queue.js";
import { tempDir } from "../helpers/tmp.js";

describe("sqlite write queue", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: SqliteDatabase;
  let commits: ChangeRecord[][];
  let recorded: ChangeRecord[];
  let queue: WriteQueue;
  const insert = (x: number) => (changes: ChangeRecord[]) => {
    db.prepare("INSERT INTO t (x) VALUES (?)").run(x);
    changes.push({ kind: "created", seqs: [x] });
    return x;
  };
  const rows = () => (db.prepare("SELECT x FROM t ORDER BY x").all() as Array<{ x: number }>).map((r) => r.x);

  beforeEach(() => {
    tmp = tempDir();
    db = openSqliteDatabase(join(tmp.dir, "q.db"));
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (x INTEGER PRIMARY KEY)");
    commits = [];
    recorded = [];
    queue = new WriteQueue(db, 100, {
      record: (changes) => recorded.push(...changes),
      beforeCommit: () => {},
      committed: (changes) => commits.push(changes),
    });
  });

  afterEach(() => {
    queue.close();
    db.close();
    tmp.remove();
  });

  it("commits the writes of one turn in one transaction, and only then resolves them", async () => {
    const other = openSqliteDatabase(join(tmp.dir, "q.db"));
    const a = queue.write(insert(1));
    const b = queue.write((changes) => {
      // Inside the shared transaction: the first write is visible here, not yet to another connection.
      expect(rows()).toEqual([1]);
      expect(other.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
      return insert(2)(changes);
    });
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(other.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2 });
    expect(commits).toEqual([
      [
        { kind: "created", seqs: [1] },
        { kind: "created", seqs: [2] },
      ],
    ]);
    other.close();
  });

  it("fails one bad operation alone; its changes are neither kept nor recorded", async () => {
    const results = await Promise.allSettled([
      queue.write(insert(1)),
      queue.write((changes) => {
        insert(2)(changes);
        throw new Error("bad call");
      }),
      queue.write(insert(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(rows()).toEqual([1, 3]);
    expect(recorded.map((c) => c.seqs)).toEqual([[1], [3]]);
  });

  it("a write after which SQLite ended the whole transaction (disk full, I/O error) fails the batch, no crash", async () => {
    const a = queue.write(insert(1));
    const b = queue.write(() => {
      db.exec("ROLLBACK"); // what SQLite does itself on SQLITE_FULL or SQLITE_IOERR
      throw new Error("database or disk is full");
    });
    const c = queue.write(insert(3));
    const settled = await Promise.allSettled([a, b, c]);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(rows()).toEqual([]);
    expect(commits).toEqual([]);
    expect(await queue.write(insert(4))).toBe(4); // the queue goes on
    expect(rows()).toEqual([4]);
  });

  it("rolls a lone failing operation back", async () => {
    await expect(
      queue.write((changes) => {
        insert(7)(changes);
        throw new Error("bad call");
      }),
    ).rejects.toThrow("bad call");
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it("fails the writes, changing nothing, when another process holds the write lock too long", async () => {
    const other = openSqliteDatabase(join(tmp.dir, "q.db"));
    other.exec("BEGIN IMMEDIATE");
    await expect(queue.write(insert(1))).rejects.toMatchObject({ code: "store_unavailable" });
    other.exec("ROLLBACK");
    other.close();
    expect(rows()).toEqual([]);
    expect(await queue.write(insert(2))).toBe(2);
  });

  it("commits what is queued when closed, then refuses writes", async () => {
    const pending = queue.write(insert(1));
    queue.close();
    expect(await pending).toBe(1);
    await expect(queue.write(insert(2))).rejects.toMatchObject({ code: "store_unavailable" });
    expect(rows()).toEqual([1]);
  });
});
