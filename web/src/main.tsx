/**
 * The board's entry. The page says where it runs (`<body data-mode>`): "web" on our own server,
 * "app" inside a chat host as an MCP App. Same components either way; only the source differs.
 * The host link (ext-apps, most of the bytes) is loaded only in an app.
 */
import { render } from "preact";
import { BoardView } from "./board.js";
import type { BoardSource } from "./source.js";
import { webSource } from "./web-source.js";

async function start(): Promise<void> {
  const root = document.getElementById("root");
  if (!root) return;
  let source: BoardSource;
  try {
    source =
      document.body.dataset.mode === "app"
        ? await (await import("./app-source.js")).appSource()
        : webSource();
  } catch (error) {
    root.textContent = `The board could not start: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  root.textContent = "";
  render(<BoardView source={source} />, root);
}

void start();
