/**
 * Command groups (`runs list | show | watch | cancel`): a word after the group that names none of
 * its subcommands is a mistake, said as at the top level (`lsit` → "Did you mean list?") with
 * exit 64, instead of falling through to the group's default subcommand (`runs` alone lists the
 * runs). The check runs when the command line is parsed, over the subcommands registered by then,
 * so a subcommand added later is found before it.
 */
import type { Command } from "commander";

/** Commander's own "unknown command" error, with its suggestion (not in its type declarations). */
type WithUnknownCommand = Command & { unknownCommand(): never };

export function refuseUnknownSubcommands(command: Command): void {
  for (const group of command.commands) {
    if (group.commands.length === 0) continue;
    group.hook("preSubcommand", (self, chosen) => {
      const word = self.args[0];
      // Named (`runs list`, `runs ls`), no word (`runs`), or only options (`runs --json`): fine.
      if (word === undefined || word.startsWith("-")) return;
      if (word === chosen.name() || chosen.aliases().includes(word)) return;
      // The default subcommand was chosen for a word: a mistake unless that subcommand takes arguments.
      if (chosen.registeredArguments.length > 0) return;
      const names = self.commands.map((c) => c.name()).join(", ");
      self.showHelpAfterError(
        `(ralph-mcp ${self.name()} has: ${names}; run "ralph-mcp help ${self.name()}" for their options)`,
      );
      (self as WithUnknownCommand).unknownCommand();
    });
    refuseUnknownSubcommands(group);
  }
}
