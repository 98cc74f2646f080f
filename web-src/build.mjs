// Builds esruntime/web/static/editor.js (CodeMirror 6, one minified file) and copies htmx's
// minified build next to it: `npm ci && npm run build` in this folder.
import { build } from "esbuild";
import { copyFileSync } from "node:fs";

const out = new URL("../esruntime/web/static/", import.meta.url).pathname;

await build({
  entryPoints: ["editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  outfile: out + "editor.js",
});
copyFileSync("node_modules/htmx.org/dist/htmx.min.js", out + "htmx.min.js");
console.log("built", out + "editor.js", "and", out + "htmx.min.js");
