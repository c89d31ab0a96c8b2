// Copies the fonts and icons Madina's pages use from node_modules into
// internal/platform/web/static/vendor (see scripts/assets). The folder is
// written anew into a temporary sibling and swapped in, so that a build
// never embeds half of it.
import fs from "node:fs";
import path from "node:path";

const web = "internal/platform/web";
const dest = path.join(web, "static", "vendor");
const tmp = dest + ".tmp";

// The font: IBM Plex Sans Arabic draws Arabic and Latin in one design.
// Regular and bold only; the subsets our three languages need (the Arabic
// subset has no Western digits: they come from latin). Each subset is a
// separate file that the browser downloads only when a page uses one of
// its characters (unicode-range).
const family = "IBM Plex Sans Arabic";
const pkg = "node_modules/@fontsource/ibm-plex-sans-arabic";
const weights = [400, 700];
const subsets = ["arabic", "latin", "latin-ext"];

fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(path.join(tmp, "fonts"), { recursive: true });
fs.mkdirSync(path.join(tmp, "icons"), { recursive: true });

const ranges = JSON.parse(fs.readFileSync(path.join(pkg, "unicode.json"), "utf8"));
let css = `/* ${family} (SIL Open Font License 1.1, fonts/OFL.txt), from @fontsource/ibm-plex-sans-arabic by scripts/assets. */\n`;
for (const subset of subsets) {
  if (!ranges[subset]) throw new Error(`no subset ${subset} in ${pkg}`);
  for (const weight of weights) {
    const file = `ibm-plex-sans-arabic-${subset}-${weight}-normal.woff2`;
    fs.copyFileSync(path.join(pkg, "files", file), path.join(tmp, "fonts", file));
    css += `@font-face{font-family:"${family}";font-style:normal;font-weight:${weight};font-display:swap;` +
      `src:url(fonts/${file}) format("woff2");unicode-range:${ranges[subset]}}\n`;
  }
}
fs.writeFileSync(path.join(tmp, "fonts.css"), css);
fs.copyFileSync(path.join(pkg, "LICENSE"), path.join(tmp, "fonts", "OFL.txt"));

// The icons named in icons.txt, from lucide-static.
const icons = fs.readFileSync(path.join(web, "icons.txt"), "utf8").split("\n")
  .map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/)[0]);
for (const name of icons) {
  fs.copyFileSync(path.join("node_modules/lucide-static/icons", name + ".svg"), path.join(tmp, "icons", name + ".svg"));
}
fs.copyFileSync("node_modules/lucide-static/LICENSE", path.join(tmp, "icons", "LICENSE.txt"));

// PDF.js (Apache-2.0) for the plan viewer: the library and its worker,
// both ES modules, named .js so that they are served as JavaScript.
fs.mkdirSync(path.join(tmp, "pdfjs"), { recursive: true });
for (const [from, to] of [["pdf.min.mjs", "pdf.min.js"], ["pdf.worker.min.mjs", "pdf.worker.min.js"]]) {
  fs.copyFileSync(path.join("node_modules/pdfjs-dist/build", from), path.join(tmp, "pdfjs", to));
}
fs.copyFileSync("node_modules/pdfjs-dist/LICENSE", path.join(tmp, "pdfjs", "LICENSE.txt"));

// Leaflet (BSD-2-Clause) and Leaflet.markercluster (MIT) for the map
// pages (internal/geo): the scripts, their stylesheets, Leaflet's images
// (its stylesheet names them) and their licences.
fs.mkdirSync(path.join(tmp, "leaflet", "images"), { recursive: true });
for (const f of ["leaflet.js", "leaflet.css"]) {
  fs.copyFileSync(path.join("node_modules/leaflet/dist", f), path.join(tmp, "leaflet", f));
}
for (const f of fs.readdirSync("node_modules/leaflet/dist/images")) {
  fs.copyFileSync(path.join("node_modules/leaflet/dist/images", f), path.join(tmp, "leaflet", "images", f));
}
fs.copyFileSync("node_modules/leaflet/LICENSE", path.join(tmp, "leaflet", "LICENSE.txt"));
for (const f of ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"]) {
  fs.copyFileSync(path.join("node_modules/leaflet.markercluster/dist", f), path.join(tmp, "leaflet", f));
}
fs.copyFileSync("node_modules/leaflet.markercluster/MIT-LICENCE.txt", path.join(tmp, "leaflet", "markercluster-LICENSE.txt"));

fs.rmSync(dest, { recursive: true, force: true });
fs.renameSync(tmp, dest);
console.log(`assets: ${subsets.length * weights.length} font files, ${icons.length} icons, PDF.js and Leaflet in ${dest}`);
