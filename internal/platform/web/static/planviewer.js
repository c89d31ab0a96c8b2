// The plan viewer (issue #13): draws a plan sheet with PDF.js (from npm,
// embedded under static/vendor/pdfjs by scripts/assets) and the sheet's
// annotations over it, from the same JSON the API serves (W3C Web
// Annotations whose SvgSelector is in the PDF page's user space). The
// page that loads it lists every annotation as text too; without this
// file, or without PDF.js in the build, that list is the page.
//
// The element [data-plan-viewer] carries what it needs: data-pdfjs and
// data-worker (PDF.js's hashed URLs), data-pdf (the sheet),
// data-annotations (its annotations), and the texts to show (data-t-*).
const root = document.querySelector("[data-plan-viewer]");
if (root) start(root).catch((err) => fail(root, err));

function fail(root, err) {
  const p = document.createElement("p");
  p.className = "field-error";
  p.setAttribute("role", "alert");
  p.textContent = root.dataset.tFailed;
  root.replaceChildren(p);
  console.error("plan viewer:", err);
}

// The organisations' colours, as the export draws them (planreview.Colour:
// FNV-1a 32 of the organisation's code, modulo the palette).
const palette = [[0.84, 0.15, 0.16], [0.12, 0.47, 0.71], [0.17, 0.63, 0.17], [0.58, 0.40, 0.74],
  [1.00, 0.50, 0.05], [0.55, 0.34, 0.29], [0.89, 0.47, 0.76], [0.09, 0.75, 0.81]];

function colour(org) {
  if (!org) return rgb(palette[0]);
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(org)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return rgb(palette[h % palette.length]);
}

function rgb(c) {
  return `rgb(${c.map((v) => Math.round(v * 255)).join(" ")})`;
}

const SVG = "http://www.w3.org/2000/svg";
const shapes = new Set(["circle", "ellipse", "rect", "line", "polyline", "polygon"]);

async function start(root) {
  const t = root.dataset;
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  status.textContent = t.tLoading;
  root.append(status);

  const [pdfjs, annotations] = await Promise.all([
    import(t.pdfjs),
    fetch(t.annotations, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(`annotations: ${r.status}`);
      return r.json();
    }),
  ]);
  pdfjs.GlobalWorkerOptions.workerSrc = t.worker;
  const doc = await pdfjs.getDocument({ url: t.pdf, withCredentials: true }).promise;
  const byPage = new Map();
  for (const a of annotations.first.items) {
    const m = /^page=(\d+)/.exec(a.target.selector.value);
    if (!m) continue;
    const n = Number(m[1]);
    if (!byPage.has(n)) byPage.set(n, []);
    byPage.get(n).push(a);
  }

  let zoom = 1;
  let rotation = 0;
  const tools = document.createElement("div");
  tools.className = "plan-viewer-tools";
  const button = (label, act) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.textContent = label;
    b.addEventListener("click", () => { act(); redraw(); });
    tools.append(b);
    return b;
  };
  button(t.tZoomOut, () => { zoom = Math.max(0.25, zoom / 1.25); });
  button(t.tZoomFit, () => { zoom = 1; });
  button(t.tZoomIn, () => { zoom = Math.min(16, zoom * 1.25); });
  button(t.tRotate, () => { rotation = (rotation + 90) % 360; });
  const pages = document.createElement("div");
  pages.className = "plan-viewer-pages";
  status.textContent = "";
  root.append(tools, pages);

  // One frame per page, drawn when it comes into view.
  const frames = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const frame = document.createElement("figure");
    frame.className = "plan-viewer-page";
    frame.dataset.page = String(n);
    const caption = document.createElement("figcaption");
    caption.textContent = t.tPage.replace("{page}", String(n));
    frame.append(caption);
    pages.append(frame);
    frames.push(frame);
  }
  const seen = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        seen.add(e.target);
        draw(e.target);
      }
    }
  }, { rootMargin: "200px" });
  frames.forEach((f) => observer.observe(f));

  function redraw() {
    for (const f of seen) draw(f);
  }

  async function draw(frame) {
    const n = Number(frame.dataset.page);
    const page = await doc.getPage(n);
    const base = page.getViewport({ scale: 1, rotation: (page.rotate + rotation) % 360 });
    const width = Math.max(200, pages.clientWidth - 2);
    const vp = page.getViewport({ scale: (width / base.width) * zoom, rotation: (page.rotate + rotation) % 360 });
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(vp.width * ratio);
    canvas.height = Math.floor(vp.height * ratio);
    canvas.style.width = `${Math.floor(vp.width)}px`;
    canvas.style.height = `${Math.floor(vp.height)}px`;
    canvas.setAttribute("aria-hidden", "true");
    const wrap = document.createElement("div");
    wrap.className = "plan-viewer-sheet";
    wrap.style.width = canvas.style.width;
    wrap.style.height = canvas.style.height;
    wrap.append(canvas, overlay(vp, byPage.get(n) || []));
    const old = frame.querySelector(".plan-viewer-sheet");
    if (old) old.replaceWith(wrap); else frame.prepend(wrap);
    await page.render({ canvas, viewport: vp, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined }).promise;
  }
}

// overlay draws a page's annotations in its user space, mapped to the
// viewport by the viewport's own transform (rotation and the y axis
// included); each shape links to the annotation's entry in the list.
function overlay(vp, list) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "plan-viewer-overlay");
  svg.setAttribute("width", String(Math.floor(vp.width)));
  svg.setAttribute("height", String(Math.floor(vp.height)));
  const g = document.createElementNS(SVG, "g");
  g.setAttribute("transform", `matrix(${vp.transform.join(" ")})`);
  svg.append(g);
  const parser = new DOMParser();
  for (const a of list) {
    const src = parser.parseFromString(a.target.selector.refinedBy.value, "image/svg+xml").documentElement;
    const link = document.createElementNS(SVG, "a");
    link.setAttribute("href", "#annotation-" + a.id.slice(a.id.lastIndexOf("/") + 1));
    const title = document.createElementNS(SVG, "title");
    const body = (a.body || []).map((b) => b.value).join(" ");
    title.textContent = [a.creator.name, body].filter(Boolean).join(" — ");
    link.append(title);
    for (const el of src.children) {
      if (!shapes.has(el.localName)) continue;
      const shape = document.createElementNS(SVG, el.localName);
      for (const at of el.attributes) {
        if (/^(cx|cy|r|rx|ry|x|y|width|height|x1|y1|x2|y2|points)$/.test(at.name)) shape.setAttribute(at.name, at.value);
      }
      shape.setAttribute("stroke", colour(a.creator["madina:organisation"]));
      shape.setAttribute("vector-effect", "non-scaling-stroke");
      shape.setAttribute("stroke-width", "2");
      shape.setAttribute("fill", a["madina:kind"] === "highlight" ? "rgb(255 230 0 / 0.35)" : "none");
      if (a["madina:status"] === "resolved") shape.setAttribute("stroke-dasharray", "6 4");
      link.append(shape);
    }
    g.append(link);
  }
  return svg;
}
