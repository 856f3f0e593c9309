// The dashboard's files (docs/dashboard.md §1): the page, its script and its styles, bundled from
// src/web/ui/ by esbuild in memory the first time they are asked for, and kept. Nothing generated is
// committed or written; no asset comes from outside the package. Must not break: every path the page
// loads is in DASHBOARD_PATHS, so a node, the page server and the front port serve the same set.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface WebAsset {
  readonly contentType: string;
  readonly body: string;
}

const ENTRY = fileURLToPath(new URL("./ui/main.ts", import.meta.url));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>selfman — dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
</head>
<body>
<noscript>The dashboard needs JavaScript; the same facts are at v1/ring and v1/status.</noscript>
<script type="module" src="/ui/app.js"></script>
</body>
</html>
`;

let bundled: Promise<{ js: string; css: string }> | null = null;

async function bundle(): Promise<{ js: string; css: string }> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    outdir: "/ui",
    loader: { ".css": "css" },
    logLevel: "silent",
  });
  const find = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? "";
  return { js: find(".js"), css: find(".css") };
}

/** The dashboard's files by path ("/" and "/ui" are the page), or null for any other path. */
export async function dashboardAsset(path: string): Promise<WebAsset | null> {
  if (path === "/" || path === "/ui" || path === "/ui/")
    return { contentType: "text/html; charset=utf-8", body: PAGE };
  if (path !== "/ui/app.js" && path !== "/ui/app.css") return null;
  bundled ??= bundle().catch((error: unknown) => {
    bundled = null;
    throw error;
  });
  const { js, css } = await bundled;
  return path === "/ui/app.js"
    ? { contentType: "text/javascript; charset=utf-8", body: js }
    : { contentType: "text/css; charset=utf-8", body: css };
}

export const DASHBOARD_PATHS = ["/", "/ui", "/ui/", "/ui/app.js", "/ui/app.css"] as const;
