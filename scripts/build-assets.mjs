// Copies the browser files of our npm dependencies into laoyuan/static/vendor, so pages load
// them from our own origin (no CDN, works offline, allowed by the content security policy).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap.min.css",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts.min.js",
};
const out = "laoyuan/static/vendor";
mkdirSync(out, { recursive: true });
for (const [source, target] of Object.entries(files)) {
  const destination = join(out, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join("node_modules", source), destination);
}
console.log(`assets: ${Object.keys(files).length} files in ${out}`);
