/**
 * The dashboard: one board, two places. On HTTP (`serve --http` at /, `ralph-mcp dashboard`)
 * routes.ts serves the page, its JSON API and its live feed; inside a chat, the MCP App
 * (show-board.ts) hands hosts the same front end as one HTML file.
 */
export { Dashboard, type DashboardOptions } from "./routes.js";
