/**
 * The front end, as built by `npm run build` (scripts/build-web.mjs) into dist/web/: the page's
 * script and stylesheet, served by the server itself (no CDN), and the MCP App's single HTML file
 * with the same script and styles inlined (a host renders it in a sandboxed frame, which cannot
 * fetch from us).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { packageRoot } from "../package-root.js";

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "app-inline.js": "text/javascript; charset=utf-8",
};

let cache: Map<string, Asset> | null = null;
let appHtml: string | null = null;

/** The built files, read once. A missing build is a clear error, not an empty page. */
export function assets(): Map<string, Asset> {
  if (cache) return cache;
  const dir = join(packageRoot(), "dist", "web");
  const found = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) {
    try {
      found.set(name, { body: readFileSync(join(dir, name)), type });
    } catch {
      throw new ValidationError(
        `The dashboard's front end is not built (${join(dir, name)} is missing): run npm run build.`,
      );
    }
  }
  cache = found;
  return found;
}

/** The board page; the script finds its data at /api (fetch and Server-Sent Events). */
export function boardPage(): string {
  return shell(
    "web",
    '<link rel="stylesheet" href="/assets/app.css">',
    '<script type="module" src="/assets/app.js"></script>',
  );
}

/** The MCP App: one self-contained HTML file; the script talks to the host (postMessage). */
export function appPage(): string {
  if (appHtml) return appHtml;
  const all = assets();
  const css = all.get("app.css")?.body.toString("utf8") ?? "";
  const js = all.get("app-inline.js")?.body.toString("utf8") ?? "";
  // Inline script and style must not end their element early.
  const script = js.replace(/<\/(script)/gi, "<\\/$1");
  const style = css.replace(/<\/(style)/gi, "<\\/$1");
  appHtml = shell("app", `<style>${style}</style>`, `<script type="module">${script}</script>`);
  return appHtml;
}

function shell(mode: "web" | "app", head: string, tail: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ralph board</title>
${head}
</head>
<body data-mode="${mode}">
<div id="root"><p class="boot">Loading the board…</p></div>
${tail}
</body>
</html>
`;
}

/** The sign-in form, shown instead of the board until the person gives the token. */
export function signInPage(error?: string): string {
  const message = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Ralph board</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="signin">
<form method="post" action="/login" class="signin-card">
<h1>Ralph board</h1>
<p>This server needs its token (the <code>RALPH_HTTP_TOKEN</code> it was started with).</p>
${message}
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
