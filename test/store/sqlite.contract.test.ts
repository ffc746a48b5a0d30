import { join } from "node:path";
import { parseTaskId } from "../../src/domain/ids.js";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { tempDir } from "../helpers/tmp.js";
import { describeStoreContract } from "./contract.js";

describeStoreContract("sqlite", async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, "tasks.db");
  const store = openSqliteStore({ path, changePollMs: 20 });
  return {
    store,
    openAnother: async () => openSqliteStore({ path, changePollMs: 20 }),
    setAttempts: async (id, attempts) => {
      const db = openSqliteDatabase(path);
      db.prepare("UPDATE tasks SET attempts = ? WHERE seq = ?").run(attempts, parseTaskId(id));
      db.close();
    },
    cleanup: async () => {
      await store.close();
      tmp.remove();
    },
  };
});
