/**
 * Every terminal command, in the order `ralph-mcp --help` lists them. One file per command, each
 * exporting its registration: a new command is a file and a line here.
 */
import type { Command } from "commander";
import { registerAdd } from "./add.js";
import { registerClearCompleted } from "./clear-completed.js";
import { registerComplete } from "./complete.js";
import { registerDashboardCommand } from "./dashboard.js";
import { registerDelete } from "./delete.js";
import { registerEdit } from "./edit.js";
import { registerExport } from "./export.js";
import { registerFail } from "./fail.js";
import { registerImport } from "./import.js";
import { registerInstallCommand } from "./install.js";
import { registerList } from "./list.js";
import { registerReset } from "./reset.js";
import { registerRetry } from "./retry.js";
import { registerRunCommand } from "./run.js";
import { registerRuns } from "./runs.js";
import { registerServeCommand } from "./serve.js";
import { registerShow } from "./show.js";
import { registerStats } from "./stats.js";

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerAdd,
  registerList,
  registerShow,
  registerStats,
  registerEdit,
  registerComplete,
  registerFail,
  registerRetry,
  registerReset,
  registerDelete,
  registerClearCompleted,
  registerExport,
  registerImport,
  registerRunCommand,
  registerRuns,
  registerServeCommand,
  registerDashboardCommand,
  registerInstallCommand,
];
