import { join } from "node:path";
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
    cleanup: async () => {
      await store.close();
      tmp.remove();
    },
  };
});
