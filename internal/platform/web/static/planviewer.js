// The plan viewer (issue #13): draws a plan sheet with PDF.js (from npm,
// embedded under static/vendor/pdfjs by scripts/assets) and the sheet's
// annotations over it, from the same JSON the API serves (W3C Web
// Annotations whose SvgSelector is in the PDF page's user space); for
// whoever may annotate, the drawing and measuring tools, which save
// through the same JSON. The page that loads it lists every annotation as
// text too; without this file, or without PDF.js in the build, that list
// (and its forms) is the page.
//
// The element [data-plan-viewer] carries what it needs: data-pdfjs and
// data-worker (PDF.js's hashed URLs), data-pdf (the sheet),
// data-annotations (its annotations), data-annotate and data-csrf when
// the reader may draw, and the texts to show (data-t-*). The tools'
// controls ([data-plan-tools]) are in the page, in its language, hidden
// until this script shows them.
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
// The most pixels a page's canvas holds (browsers refuse much larger
// canvases, and phones run out of memory well before).
const maxPixels = 16e6;
const shapes = new Set(["circle", "ellipse", "rect", "line", "polyline", "polygon"]);

// ---- Measuring: the same arithmetic as the server (planreview/measure.go).

const pointMetres = 0.0254 / 72; // one PDF point on paper, in metres
const minRatio = 1;
const maxRatio = 10000;
const minReference = 10; // the shortest reference line, in user-space units

function unitMetres(info) {
  return (info && info.user_unit > 0 ? info.user_unit : 1) * pointMetres;
}

// perUnit is metres per user-space unit under calibration cal on page
// info, or 0 when it gives none.
function perUnit(cal, info) {
  if (!cal) return 0;
  switch (cal.source) {
    case "pdf": return info.measure || 0;
    case "scale": return cal.ratio * unitMetres(info);
    case "reference": return cal.metres / dist(cal.line[0], cal.line[1]);
  }
  return 0;
}

function dist(a, b) { return Math.hypot(b[0] - a[0], b[1] - a[1]); }

function pathLength(pts) {
  let l = 0;
  for (let i = 1; i < pts.length; i++) l += dist(pts[i - 1], pts[i]);
  return l;
}

function shoelace(pts) {
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const j = (i + 1) % pts.length;
    s += pts[i][0] * pts[j][1] - pts[j][0] * pts[i][1];
  }
  return s / 2;
}

// measure is what kind measures on pts with m metres per unit:
// {value, unit, perimeter}, or null.
function measure(kind, pts, m) {
  switch (kind) {
    case "distance":
    case "polyline":
      return pts.length >= 2 ? { value: pathLength(pts) * m, unit: "m" } : null;
    case "area":
      if (pts.length < 3) return null;
      return { value: Math.abs(shoelace(pts)) * m * m, unit: "m2", perimeter: (pathLength(pts) + dist(pts[pts.length - 1], pts[0])) * m };
    case "rectangle_area": {
      if (pts.length < 2) return null;
      const w = Math.abs(pts[1][0] - pts[0][0]);
      const h = Math.abs(pts[1][1] - pts[0][1]);
      return { value: w * h * m * m, unit: "m2", perimeter: 2 * (w + h) * m };
    }
    case "count":
      return { value: pts.length, unit: "count" };
    case "angle": {
      if (pts.length < 3) return null;
      const a = [pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]];
      const b = [pts[2][0] - pts[1][0], pts[2][1] - pts[1][1]];
      if (Math.hypot(...a) === 0 || Math.hypot(...b) === 0) return null;
      return { value: Math.abs(Math.atan2(a[0] * b[1] - a[1] * b[0], a[0] * b[0] + a[1] * b[1])) * 180 / Math.PI, unit: "deg" };
    }
  }
  return null;
}

const calibrated = new Set(["distance", "polyline", "area", "rectangle_area"]);

// How each tool is drawn: "point" (one click), "line" (two), "box" (two
// opposite corners), "many" (clicks, then finish; closed or open),
// "count" (clicks, then finish), "angle" (three), "freehand" (a drag).
const gestures = {
  pin: "point", arrow: "line", line: "line", distance: "line", calibrate: "line",
  rectangle: "box", ellipse: "box", text: "box", highlight: "box", rectangle_area: "box",
  polygon: "many", area: "many", polyline: "many", freehand: "freehand", count: "count", angle: "angle",
};
const hints = { point: "tHintPoint", line: "tHintTwo", box: "tHintBox", many: "tHintMany", count: "tHintCount", angle: "tHintAngle", freehand: "tHintFreehand" };
const closed = new Set(["polygon", "area"]);

// shapeOf is the SVG element (name and attributes, in page user space)
// of kind drawn through pts — the form the server reads (geometry.go).
function shapeOf(kind, pts) {
  const g = gestures[kind];
  if (g === "point" || g === "count") return pts.map((p) => ["circle", { cx: p[0], cy: p[1], r: 4 }]);
  if (g === "line") return [["line", { x1: pts[0][0], y1: pts[0][1], x2: pts[1][0], y2: pts[1][1] }]];
  if (g === "box") {
    const x0 = Math.min(pts[0][0], pts[1][0]), y0 = Math.min(pts[0][1], pts[1][1]);
    const x1 = Math.max(pts[0][0], pts[1][0]), y1 = Math.max(pts[0][1], pts[1][1]);
    if (kind === "ellipse") return [["ellipse", { cx: round((x0 + x1) / 2), cy: round((y0 + y1) / 2), rx: round((x1 - x0) / 2), ry: round((y1 - y0) / 2) }]];
    return [["rect", { x: x0, y: y0, width: round(x1 - x0), height: round(y1 - y0) }]];
  }
  return [[closed.has(kind) ? "polygon" : "polyline", { points: pts.map((p) => `${p[0]},${p[1]}`).join(" ") }]];
}

function round(v) { return Math.round(v * 100) / 100; }

// idOf is an annotation's number, the last part of its id.
function idOf(a) { return a.id.slice(a.id.lastIndexOf("/") + 1); }

function selectorSVG(kind, pts) {
  const els = shapeOf(kind, pts).map(([name, at]) =>
    `<${name} ${Object.entries(at).map(([k, v]) => `${k}="${v}"`).join(" ")}/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg">${els.join("")}</svg>`;
}

async function start(root) {
  const t = root.dataset;
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  status.textContent = t.tLoading;
  root.append(status);

  const [pdfjs, collection] = await Promise.all([
    import(t.pdfjs),
    fetch(t.annotations, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(`annotations: ${r.status}`);
      return r.json();
    }),
  ]);
  pdfjs.GlobalWorkerOptions.workerSrc = t.worker;
  const doc = await pdfjs.getDocument({ url: t.pdf, withCredentials: true }).promise;
  const sheet = collection["madina:sheet"];
  const infos = new Map((sheet.pages || []).map((p) => [p.page, p]));
  const byPage = new Map();
  const byId = new Map(collection.first.items.map((a) => [idOf(a), a]));
  for (const a of collection.first.items) {
    const m = /^page=(\d+)/.exec(a.target.selector.value);
    if (!m) continue;
    const n = Number(m[1]);
    if (!byPage.has(n)) byPage.set(n, []);
    byPage.get(n).push(a);
  }

  let zoom = 1;
  let rotation = 0;
  const bar = document.createElement("div");
  bar.className = "plan-viewer-tools";
  const button = (label, act) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.textContent = label;
    b.addEventListener("click", () => { act(); redraw(); });
    bar.append(b);
    return b;
  };
  const zoomOut = () => { zoom = Math.max(0.25, zoom / 1.25); };
  const zoomFit = () => { zoom = 1; };
  const zoomIn = () => { zoom = Math.min(16, zoom * 1.25); };
  const rotate = () => { rotation = (rotation + 90) % 360; };
  button(t.tZoomOut, zoomOut);
  button(t.tZoomFit, zoomFit);
  button(t.tZoomIn, zoomIn);
  button(t.tRotate, rotate);
  const pages = document.createElement("div");
  pages.className = "plan-viewer-pages";
  pages.dir = "ltr"; // a drawing has no reading direction
  pages.tabIndex = 0;
  pages.setAttribute("role", "region");
  pages.setAttribute("aria-label", t.tSheet);
  status.textContent = "";
  // Thumbnails: one button per page, drawn small when it comes into
  // view; the part of the page on screen is outlined on its thumbnail.
  const thumbs = document.createElement("nav");
  thumbs.className = "plan-viewer-thumbs";
  thumbs.setAttribute("aria-label", t.tThumbs);
  const thumbList = document.createElement("ol");
  thumbs.append(thumbList);
  root.append(bar, thumbs, pages);

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
  const thumbOf = new Map();
  const thumbObserver = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting && !e.target.dataset.drawn) {
        e.target.dataset.drawn = "1";
        drawThumb(e.target).catch((err) => console.error("plan viewer:", err));
      }
    }
  }, { rootMargin: "100px" });
  for (let n = 1; n <= doc.numPages; n++) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "plan-viewer-thumb";
    b.dataset.page = String(n);
    const label = document.createElement("span");
    label.textContent = t.tPage.replace("{page}", String(n));
    b.append(label);
    b.addEventListener("click", () => frames[n - 1].scrollIntoView({ block: "start" }));
    li.append(b);
    thumbList.append(li);
    thumbOf.set(n, b);
    thumbObserver.observe(b);
  }
  async function drawThumb(b) {
    const page = await doc.getPage(Number(b.dataset.page));
    const base = page.getViewport({ scale: 1, rotation: (page.rotate + rotation) % 360 });
    const vp = page.getViewport({ scale: 96 / Math.max(base.width, base.height), rotation: (page.rotate + rotation) % 360 });
    const canvas = document.createElement("canvas");
    canvas.width = Math.ceil(vp.width);
    canvas.height = Math.ceil(vp.height);
    canvas.setAttribute("aria-hidden", "true");
    const box = document.createElement("span");
    box.className = "plan-viewer-thumb-sheet";
    const seenBox = document.createElement("span");
    seenBox.className = "plan-viewer-thumb-view";
    box.append(canvas, seenBox);
    b.querySelector(".plan-viewer-thumb-sheet")?.remove();
    b.prepend(box);
    await page.render({ canvas, viewport: vp }).promise;
    outline();
  }
  // outline marks on each thumbnail the part of its page on screen.
  function outline() {
    const view = pages.getBoundingClientRect();
    const top = Math.max(view.top, 0), bottom = Math.min(view.bottom, window.innerHeight);
    for (const f of frames) {
      const mark = thumbOf.get(Number(f.dataset.page))?.querySelector(".plan-viewer-thumb-view");
      const sheet = f.querySelector(".plan-viewer-sheet");
      if (!mark) continue;
      if (!sheet) { mark.hidden = true; continue; }
      const r = sheet.getBoundingClientRect();
      const x0 = Math.max(r.left, view.left), x1 = Math.min(r.right, view.right);
      const y0 = Math.max(r.top, top), y1 = Math.min(r.bottom, bottom);
      mark.hidden = x1 <= x0 || y1 <= y0;
      if (mark.hidden) continue;
      mark.style.left = `${((x0 - r.left) / r.width) * 100}%`;
      mark.style.top = `${((y0 - r.top) / r.height) * 100}%`;
      mark.style.width = `${((x1 - x0) / r.width) * 100}%`;
      mark.style.height = `${((y1 - y0) / r.height) * 100}%`;
    }
  }

  // A page is drawn when it first comes near the screen (then again only
  // on a zoom or a rotation); the first page at once, wherever it is, so
  // that it is there when the plan is reached below the tools.
  const seen = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting && !seen.has(e.target)) {
        seen.add(e.target);
        draw(e.target);
      }
    }
  }, { rootMargin: "200px" });
  frames.forEach((f) => observer.observe(f));
  if (frames[0]) {
    seen.add(frames[0]);
    draw(frames[0]);
  }

  let compare = null;
  function redraw() {
    for (const f of seen) draw(f);
    compare?.draw();
    for (const b of thumbOf.values()) if (b.dataset.drawn) drawThumb(b);
  }

  // Deep zoom: a page's canvas holds at most maxPixels; zoomed in further
  // (an A0 sheet at 16×), it is drawn at that resolution and stretched,
  // and the part on screen is drawn again at the screen's own resolution
  // on a canvas of its own, each time the plan stops moving.
  let settle = 0;
  const moved = () => {
    outline();
    clearTimeout(settle);
    settle = setTimeout(() => { for (const f of seen) detail(f); }, 120);
  };
  pages.addEventListener("scroll", moved, { passive: true });
  window.addEventListener("scroll", moved, { passive: true });
  window.addEventListener("resize", moved, { passive: true });

  function detail(frame) {
    const sheet = frame.querySelector(".plan-viewer-sheet");
    frame.detailTask?.cancel();
    sheet?.querySelector(".plan-viewer-detail")?.remove();
    if (!sheet || frame.sharp || !frame.page) return;
    const r = sheet.getBoundingClientRect();
    const view = pages.getBoundingClientRect();
    const x0 = Math.max(r.left, view.left, 0), x1 = Math.min(r.right, view.right, window.innerWidth);
    const y0 = Math.max(r.top, view.top, 0), y1 = Math.min(r.bottom, view.bottom, window.innerHeight);
    if (x1 <= x0 || y1 <= y0) return;
    const ratio = window.devicePixelRatio || 1;
    const sx = Math.floor(x0 - r.left), sy = Math.floor(y0 - r.top);
    const w = Math.ceil(x1 - x0), h = Math.ceil(y1 - y0);
    const canvas = document.createElement("canvas");
    canvas.className = "plan-viewer-detail";
    canvas.width = Math.floor(w * ratio);
    canvas.height = Math.floor(h * ratio);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    canvas.style.left = `${sx}px`;
    canvas.style.top = `${sy}px`;
    canvas.setAttribute("aria-hidden", "true");
    sheet.querySelector("canvas").after(canvas);
    frame.detailTask = frame.page.render({ canvas, viewport: frame.vp, transform: [ratio, 0, 0, ratio, -sx * ratio, -sy * ratio] });
    frame.detailTask.promise.catch((err) => { if (err?.name !== "RenderingCancelledException") console.error("plan viewer:", err); });
  }

  const tools = t.annotate === "true" ? tooling() : null;
  const cmpEl = document.querySelector("[data-plan-compare]");
  if (cmpEl) compare = await comparing(cmpEl);

  // comparing draws this version of the sheet against another
  // (el.dataset.old): side by side, zoomed together (the viewer's zoom
  // buttons) and panned together; or overlaid, each pixel coloured by
  // which version has ink there.
  async function comparing(el) {
    const c = el.dataset;
    const old = await pdfjs.getDocument({ url: c.old, withCredentials: true }).promise;
    document.querySelector("[data-compare-nojs]")?.remove();
    el.hidden = false;
    let mode = "side";
    let pageN = 1;
    const modes = document.createElement("div");
    modes.className = "plan-viewer-tools";
    const choices = [];
    for (const [m, label] of [["side", c.tSide], ["overlay", c.tOverlay]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button secondary";
      b.dataset.mode = m;
      b.textContent = label;
      b.setAttribute("aria-pressed", String(m === mode));
      b.addEventListener("click", () => {
        mode = m;
        for (const x of choices) x.setAttribute("aria-pressed", String(x.dataset.mode === mode));
        draw();
      });
      choices.push(b);
      modes.append(b);
    }
    const most = Math.max(old.numPages, doc.numPages);
    if (most > 1) {
      const sel = document.createElement("select");
      sel.id = "compare-page";
      sel.setAttribute("aria-label", t.tPage.replace("{page}", "").trim() || "page");
      for (let n = 1; n <= most; n++) {
        const o = document.createElement("option");
        o.value = String(n);
        o.textContent = t.tPage.replace("{page}", String(n));
        sel.append(o);
      }
      sel.addEventListener("change", () => { pageN = Number(sel.value); draw(); });
      modes.append(sel);
    }
    const result = document.createElement("p");
    result.className = "plan-compare-result";
    result.setAttribute("role", "status");
    const panes = document.createElement("div");
    panes.className = "plan-compare-panes";
    panes.dir = "ltr";
    el.append(modes, result, panes);

    async function render(d, n, scale, ratio) {
      if (n > d.numPages) return null;
      const p = await d.getPage(n);
      const vp = p.getViewport({ scale, rotation: (p.rotate + rotation) % 360 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(vp.width * ratio);
      canvas.height = Math.floor(vp.height * ratio);
      canvas.style.width = `${Math.floor(vp.width)}px`;
      canvas.style.height = `${Math.floor(vp.height)}px`;
      canvas.setAttribute("aria-hidden", "true");
      await p.render({ canvas, viewport: vp, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined }).promise;
      return canvas;
    }

    let drawing = 0;
    async function draw() {
      const mine = ++drawing;
      const n = Math.min(pageN, doc.numPages);
      const first = await doc.getPage(n);
      const base = first.getViewport({ scale: 1, rotation: (first.rotate + rotation) % 360 });
      const paneWidth = Math.max(150, (mode === "side" ? panes.clientWidth / 2 - 12 : panes.clientWidth - 4));
      let scale = (paneWidth / base.width) * zoom;
      const screen = window.devicePixelRatio || 1;
      // Both versions at one scale, so that what did not move lies at the
      // same place; the overlay reads every pixel, so it is kept smaller.
      const cap = mode === "side" ? maxPixels : 4e6;
      const ratio = Math.min(screen, Math.sqrt(cap / (base.width * base.height * scale * scale)));
      const [a, b] = await Promise.all([render(old, pageN, scale, ratio), render(doc, pageN, scale, ratio)]);
      if (mine !== drawing) return;
      panes.replaceChildren();
      result.textContent = "";
      if (mode === "side") {
        const made = [];
        for (const [canvas, label] of [[a, c.tOld], [b, c.tNew]]) {
          const fig = document.createElement("figure");
          fig.className = "plan-compare-pane";
          const cap = document.createElement("figcaption");
          cap.textContent = label;
          const scroller = document.createElement("div");
          scroller.className = "plan-compare-scroll";
          scroller.tabIndex = 0;
          scroller.setAttribute("role", "region");
          scroller.setAttribute("aria-label", label);
          if (canvas) scroller.append(canvas);
          fig.append(cap, scroller);
          panes.append(fig);
          made.push(scroller);
        }
        // Panned together: one follows the other (setting what is already
        // there fires no event, so the two settle).
        for (const [from, to] of [[made[0], made[1]], [made[1], made[0]]]) {
          from.addEventListener("scroll", () => {
            if (to.scrollLeft !== from.scrollLeft) to.scrollLeft = from.scrollLeft;
            if (to.scrollTop !== from.scrollTop) to.scrollTop = from.scrollTop;
          }, { passive: true });
        }
        return;
      }
      const w = Math.max(a?.width || 0, b?.width || 0), h = Math.max(a?.height || 0, b?.height || 0);
      const pixels = (canvas) => {
        const cv = document.createElement("canvas");
        cv.width = w;
        cv.height = h;
        const cx = cv.getContext("2d", { willReadFrequently: true });
        cx.fillStyle = "#fff";
        cx.fillRect(0, 0, w, h);
        if (canvas) cx.drawImage(canvas, 0, 0);
        return cx.getImageData(0, 0, w, h).data;
      };
      const pa = pixels(a), pb = pixels(b);
      const diff = document.createElement("canvas");
      diff.className = "plan-compare-diff";
      diff.width = w;
      diff.height = h;
      diff.style.width = `${Math.round(w / ratio)}px`;
      diff.style.height = `${Math.round(h / ratio)}px`;
      diff.setAttribute("aria-hidden", "true");
      const dx = diff.getContext("2d");
      const img = dx.createImageData(w, h);
      const o = img.data;
      let differing = 0, onlyOld = 0, onlyNew = 0;
      for (let i = 0; i < o.length; i += 4) {
        const la = 0.299 * pa[i] + 0.587 * pa[i + 1] + 0.114 * pa[i + 2];
        const lb = 0.299 * pb[i] + 0.587 * pb[i + 1] + 0.114 * pb[i + 2];
        o[i + 3] = 255;
        if (Math.abs(la - lb) > 48) {
          differing++;
          if (la < lb) { onlyOld++; o[i] = 215; o[i + 1] = 25; o[i + 2] = 28; } else { onlyNew++; o[i] = 25; o[i + 1] = 80; o[i + 2] = 220; }
        } else {
          const v = 255 - (255 - Math.min(la, lb)) * 0.4;
          o[i] = o[i + 1] = o[i + 2] = v;
        }
      }
      dx.putImageData(img, 0, 0);
      diff.dataset.onlyOld = String(onlyOld);
      diff.dataset.onlyNew = String(onlyNew);
      const scroller = document.createElement("div");
      scroller.className = "plan-compare-scroll";
      scroller.tabIndex = 0;
      scroller.setAttribute("role", "region");
      scroller.setAttribute("aria-label", c.tOverlay);
      scroller.append(diff);
      panes.append(scroller);
      const percent = (100 * differing) / (w * h);
      result.textContent = c.tDifferences.replace("{percent}", percent.toFixed(1).replace(".", t.decimal || ".")).replace("{page}", String(pageN));
    }
    await draw();
    return { draw };
  }

  async function draw(frame) {
    const n = Number(frame.dataset.page);
    const page = await doc.getPage(n);
    const base = page.getViewport({ scale: 1, rotation: (page.rotate + rotation) % 360 });
    const width = Math.max(200, pages.clientWidth - 2);
    const vp = page.getViewport({ scale: (width / base.width) * zoom, rotation: (page.rotate + rotation) % 360 });
    const screen = window.devicePixelRatio || 1;
    const ratio = Math.min(screen, Math.sqrt(maxPixels / (vp.width * vp.height)));
    frame.sharp = ratio >= screen;
    frame.page = page;
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
    const svg = overlay(vp, byPage.get(n) || []);
    wrap.append(canvas, svg);
    frame.vp = vp;
    frame.layer = svg.querySelector("g");
    const old = frame.querySelector(".plan-viewer-sheet");
    if (old) old.replaceWith(wrap); else frame.prepend(wrap);
    if (tools) tools.attach(frame, svg);
    frame.task?.cancel();
    frame.task = page.render({ canvas, viewport: vp, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined });
    // The first screen is drawn once a page on screen has rendered: a
    // performance mark, and the time since navigation on the root, for the
    // benchmark against PDF.js alone (planreview's BenchmarkFirstScreen).
    frame.task.promise.then(() => {
      const r = frame.getBoundingClientRect(), v = pages.getBoundingClientRect();
      if (root.dataset.firstScreen || r.bottom <= v.top || r.top >= v.bottom) return;
      performance.mark("madina:plan-first-screen");
      root.dataset.firstScreen = String(Math.round(performance.now()));
    }, () => {});
    await frame.task.promise.catch((err) => { if (err?.name !== "RenderingCancelledException") throw err; });
    outline();
    detail(frame);
  }

  // tooling wires the drawing and measuring tools (the page's
  // [data-plan-tools] controls) to the pages: it returns attach, which
  // each drawn page calls with its overlay.
  function tooling() {
    const panel = document.querySelector("[data-plan-tools]");
    if (!panel) return null;
    panel.hidden = false;
    const section = panel.closest("section") || panel;
    const q = (sel) => panel.querySelector(sel);
    const hint = q("[data-plan-hint]");
    const measured = q("[data-plan-measured]");
    const drawing = q("[data-plan-drawing]");
    const calForm = q("[data-plan-calibrate]");
    const saveForm = q("[data-plan-save]");
    const scale = q("#plan-scale");
    const scaleLabel = q("[data-plan-scale-label]");
    const decimal = t.decimal || ".";
    const num = (v, d) => v.toFixed(d).replace(".", decimal);
    const storeKey = (n) => `madina.planreview.${sheet.sha256}.${n}`;

    // The calibration of each page: what was chosen in this session, else
    // the PDF's own scale, else the last one a measurement on the page used.
    const cals = new Map();
    for (const [n, info] of infos) {
      let cal = null;
      try { cal = JSON.parse(sessionStorage.getItem(storeKey(n)) || "null"); } catch { cal = null; }
      if (!cal && info.measure > 0) cal = { source: "pdf" };
      if (!cal) {
        for (const a of byPage.get(n) || []) {
          const c = a["madina:calibration"];
          if (c && (c.source === "scale" || c.source === "reference")) {
            cal = c.source === "scale" ? { source: "scale", ratio: c.ratio } : { source: "reference", line: c.line, metres: c.metres };
          }
        }
      }
      if (cal) cals.set(n, cal);
    }

    let current = 1; // the page the tools act on
    let tool = "";
    let draft = null; // {page, pts}
    let hover = null; // the pointer's point on the draft's page
    let pending = null; // a finished shape waiting for its form

    const mpu = (n) => perUnit(cals.get(n), infos.get(n));

    function showScale() {
      scaleLabel.textContent = scaleLabel.dataset.t.replace("{page}", String(current));
      const info = infos.get(current) || {};
      const cal = cals.get(current);
      const pdfOpt = scale.querySelector('option[value="pdf"]');
      pdfOpt.disabled = !(info.measure > 0);
      const ref = scale.querySelector('option[value="reference"]');
      ref.disabled = !(cal && cal.source === "reference");
      if (cal && cal.source === "reference") {
        ref.textContent = ref.dataset.t.replace("{ratio}", num(mpu(current) / unitMetres(info), 0));
      }
      let v = "";
      if (cal) v = cal.source === "scale" ? String(cal.ratio) : cal.source;
      if (v && !scale.querySelector(`option[value="${v}"]`)) {
        const o = document.createElement("option");
        o.value = v;
        o.textContent = `1:${v}`;
        scale.append(o);
      }
      scale.value = v;
    }
    scale.addEventListener("change", () => {
      const v = scale.value;
      if (v === "") cals.delete(current);
      else if (v === "pdf") cals.set(current, { source: "pdf" });
      else if (v !== "reference") cals.set(current, { source: "scale", ratio: Number(v) });
      remember(current);
      showLive();
    });
    function remember(n) {
      try {
        if (cals.has(n)) sessionStorage.setItem(storeKey(n), JSON.stringify(cals.get(n)));
        else sessionStorage.removeItem(storeKey(n));
      } catch { /* private browsing: the choice lasts this page only */ }
    }

    // The live value of the draft (with the pointer's point) or of the
    // pending shape, in the page's language.
    function valueText(kind, pts, n) {
      if (kind === "calibrate" || !measure(kind, pts, 1)) return "";
      if (calibrated.has(kind) && !mpu(n)) return t.tNeedScale;
      const m = measure(kind, pts, mpu(n));
      if (!m) return "";
      switch (m.unit) {
        case "m": return t.tMetres.replace("{value}", num(m.value, 2));
        case "m2": return t.tArea.replace("{value}", num(m.value, 2)).replace("{perimeter}", num(m.perimeter, 2));
        case "deg": return t.tDegrees.replace("{value}", num(m.value, 1));
        case "count": return t.tCounted.replace("{count}", String(m.value));
      }
      return "";
    }
    function showLive() {
      let text = "";
      if (pending) text = valueText(pending.kind, pending.pts, pending.page);
      else if (draft) text = valueText(tool, hover ? [...draft.pts, hover] : draft.pts, draft.page);
      measured.hidden = text === "";
      measured.textContent = text ? `${t.tMeasured}: ${text}` : "";
    }

    function choose(kind) {
      cancel();
      tool = kind;
      for (const b of panel.querySelectorAll("[data-tool]")) b.setAttribute("aria-pressed", String(b.dataset.tool === kind));
      pages.classList.toggle("drawing", kind !== "");
      pages.classList.toggle("freehand", kind === "freehand");
      hint.textContent = kind ? t[kind === "calibrate" ? "tHintCalibrate" : hints[gestures[kind]]] : t.tHintNone;
      q("[data-plan-hint-keys]").hidden = !kind;
      if (!kind && cursor) cursor.shown = false;
      else if (kind && document.activeElement === pages) placeCursor();
      showCursor();
    }
    for (const b of panel.querySelectorAll("[data-tool]")) b.addEventListener("click", () => choose(b.dataset.tool));

    function cancel() {
      draft = null;
      hover = null;
      pending = null;
      calForm.hidden = true;
      saveForm.hidden = true;
      drawing.hidden = true;
      for (const e of panel.querySelectorAll("[data-plan-error]")) e.hidden = true;
      preview();
      showLive();
    }
    for (const b of panel.querySelectorAll("[data-plan-cancel]")) b.addEventListener("click", () => { cancel(); pages.focus(); });
    q("[data-plan-finish]").addEventListener("click", () => finish());

    // The draft, drawn in its page's user space (each page's overlay
    // carries the viewport's transform).
    function preview() {
      for (const f of frames) {
        f.layer?.querySelector(".plan-draft")?.remove();
      }
      const d = pending || (draft && { kind: tool, page: draft.page, pts: hover ? [...draft.pts, hover] : draft.pts });
      if (!d || !d.pts.length) return;
      const frame = frames[d.page - 1];
      if (!frame || !frame.layer) return;
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "plan-draft");
      const g2 = gestures[d.kind];
      let els;
      if (d.pts.length === 1 && g2 !== "point" && g2 !== "count") els = [["circle", { cx: d.pts[0][0], cy: d.pts[0][1], r: 2 }]];
      else if ((g2 === "line" || g2 === "box") && d.pts.length < 2) els = [];
      else if (g2 === "angle" || (g2 === "many" && d.pts.length === 2)) els = [["polyline", { points: d.pts.map((p) => p.join(",")).join(" ") }]];
      else els = shapeOf(d.kind, d.pts);
      for (const [name, at] of els) {
        const el = document.createElementNS(SVG, name);
        for (const [k, v] of Object.entries(at)) el.setAttribute(k, String(v));
        el.setAttribute("vector-effect", "non-scaling-stroke");
        el.setAttribute("stroke-width", "2");
        el.setAttribute("stroke", "rgb(0 90 200)");
        el.setAttribute("fill", d.kind === "highlight" ? "rgb(255 230 0 / 0.35)" : "none");
        g.append(el);
      }
      frame.layer.append(g);
    }

    // point is the pointer's position on frame's page, in user space,
    // kept on the page and rounded to 0.01 unit (the numbers sent).
    function point(frame, svg, e) {
      const r = svg.getBoundingClientRect();
      const [x, y] = frame.vp.convertToPdfPoint(e.clientX - r.left, e.clientY - r.top);
      const info = infos.get(Number(frame.dataset.page));
      let p = [x, y];
      if (info) {
        const [x0, y0, x1, y1] = info.box;
        p = [Math.min(Math.max(x, x0), x1), Math.min(Math.max(y, y0), y1)];
      }
      return [round(p[0]), round(p[1])];
    }
    // near: two points within 4 CSS pixels on the screen.
    function near(frame, a, b) {
      const [ax, ay] = frame.vp.convertToViewportPoint(a[0], a[1]);
      const [bx, by] = frame.vp.convertToViewportPoint(b[0], b[1]);
      return Math.hypot(ax - bx, ay - by) < 5;
    }

    function add(frame, p) {
      const n = Number(frame.dataset.page);
      if (!draft || draft.page !== n) {
        draft = { page: n, pts: [] };
        if (current !== n) { current = n; showScale(); }
      }
      const g = gestures[tool];
      const last = draft.pts[draft.pts.length - 1];
      if ((g === "many" || g === "count") && last && near(frame, last, p)) { finish(); return; }
      if (g === "many" && closed.has(tool) && draft.pts.length >= 3 && near(frame, draft.pts[0], p)) { finish(); return; }
      if (last && near(frame, last, p) && g !== "count") return;
      draft.pts.push(p);
      const want = { point: 1, line: 2, box: 2, angle: 3 }[g];
      drawing.hidden = !(g === "many" || g === "count");
      if (want && draft.pts.length >= want) finish();
      else { preview(); showLive(); }
    }

    function finish() {
      if (!draft) return;
      const g = gestures[tool];
      const min = { many: closed.has(tool) ? 3 : 2, count: 1, freehand: 2 }[g] || 1;
      if (draft.pts.length < min) return;
      pending = { kind: tool, page: draft.page, pts: draft.pts };
      draft = null;
      hover = null;
      drawing.hidden = true;
      preview();
      showLive();
      if (tool === "calibrate") {
        calForm.hidden = false;
        calForm.querySelector("input").value = "";
        calForm.querySelector("input").focus();
      } else {
        saveForm.hidden = false;
        saveForm.querySelector("textarea").focus();
      }
    }

    function attach(frame, svg) {
      const catcher = document.createElementNS(SVG, "rect");
      catcher.setAttribute("class", "plan-catcher");
      catcher.setAttribute("width", "100%");
      catcher.setAttribute("height", "100%");
      catcher.setAttribute("fill", "transparent");
      svg.prepend(catcher);
      let down = null;
      svg.addEventListener("pointerdown", (e) => {
        if (cursor) { cursor.shown = false; showCursor(); }
        if (!tool || pending) return;
        down = { x: e.clientX, y: e.clientY };
        if (gestures[tool] === "freehand") {
          svg.setPointerCapture(e.pointerId);
          const n = Number(frame.dataset.page);
          draft = { page: n, pts: [point(frame, svg, e)] };
          if (current !== n) { current = n; showScale(); }
          e.preventDefault();
        }
      });
      svg.addEventListener("pointermove", (e) => {
        if (!tool || pending) return;
        const p = point(frame, svg, e);
        if (gestures[tool] === "freehand") {
          if (draft && down) {
            const last = draft.pts[draft.pts.length - 1];
            if (!near(frame, last, p) && draft.pts.length < 4999) draft.pts.push(p);
            preview();
          }
          return;
        }
        if (draft && draft.page === Number(frame.dataset.page)) {
          hover = p;
          preview();
          showLive();
        }
      });
      svg.addEventListener("pointerup", (e) => {
        if (!tool || pending || !down) return;
        const moved = Math.hypot(e.clientX - down.x, e.clientY - down.y);
        down = null;
        if (gestures[tool] === "freehand") {
          if (draft) draft.pts.push(point(frame, svg, e));
          finish();
          return;
        }
        if (moved > 8) return; // a drag pans; a click places a point
        e.preventDefault();
        add(frame, point(frame, svg, e));
      });
      svg.addEventListener("click", (e) => {
        if (tool) { e.preventDefault(); return; }
        // No tool: an annotation chosen on the sheet opens its editor in
        // the list (a link followed with Enter is a click too).
        const link = e.target.closest(".plan-annotation");
        if (link && openEditor(link.dataset.id)) e.preventDefault();
      });
      // Enter on a shape opens the editor itself: the link would act on
      // keydown and leave the key's character to the field it focuses.
      svg.addEventListener("keydown", (e) => {
        const link = e.target.closest(".plan-annotation");
        if (tool || !link || e.key !== "Enter" || e.ctrlKey || e.altKey || e.metaKey || e.shiftKey) return;
        if (openEditor(link.dataset.id)) e.preventDefault();
      });
      preview();
      showCursor();
    }

    calForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const err = calForm.querySelector("[data-plan-error]");
      const raw = calForm.querySelector("input").value.trim().replace(",", ".");
      const metres = Number(raw);
      const say = (msg) => { err.textContent = msg; err.hidden = false; calForm.querySelector("input").focus(); };
      if (!/^\d+(\.\d+)?$/.test(raw) || !(metres > 0)) return say(t.tLengthBad);
      const line = pending.pts;
      const info = infos.get(pending.page);
      if (dist(line[0], line[1]) < minReference) return say(t.tReferenceShort);
      const cal = { source: "reference", line, metres };
      const ratio = perUnit(cal, info) / unitMetres(info);
      if (!(ratio >= minRatio * 0.999 && ratio <= maxRatio * 1.001)) return say(t.tScaleBad);
      cals.set(pending.page, cal);
      remember(pending.page);
      const n = pending.page;
      cancel();
      showScale();
      hint.textContent = t.tScaleSet.replace("{page}", String(n)).replace("{ratio}", num(ratio, 0));
      pages.focus();
    });

    saveForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = saveForm.querySelector("[data-plan-error]");
      const p = pending;
      if (!p) return;
      const body = {
        "@context": ["http://www.w3.org/ns/anno.jsonld", { madina: "urn:madina:planreview#" }],
        type: "Annotation",
        "madina:kind": p.kind,
        "madina:visibility": saveForm.elements.visibility.value,
        "madina:status": saveForm.elements.status.value,
        target: {
          source: sheet.source,
          selector: {
            type: "FragmentSelector", conformsTo: "http://tools.ietf.org/rfc/rfc3778", value: `page=${p.page}`,
            refinedBy: { type: "SvgSelector", value: selectorSVG(p.kind, p.pts) },
          },
        },
      };
      const comment = saveForm.elements.comment.value.trim();
      if (comment) body.body = { type: "TextualBody", value: comment, format: "text/plain" };
      if (calibrated.has(p.kind)) {
        if (!cals.get(p.page)) {
          err.textContent = t.tNeedScale;
          err.hidden = false;
          return;
        }
        body["madina:calibration"] = cals.get(p.page);
      }
      hint.textContent = t.tSaving;
      const submit = saveForm.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const r = await fetch(t.annotations, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": t.csrf },
          body: JSON.stringify(body),
        });
        const out = await r.json().catch(() => ({}));
        if (!r.ok) {
          const details = (out.errors || []).map((x) => x.detail).filter((x) => x && x !== out.detail);
          err.textContent = [out.detail || t.tFailedSave, ...details].join(" ");
          err.hidden = false;
          hint.textContent = "";
          return;
        }
        const id = String(out.id).slice(String(out.id).lastIndexOf("/") + 1);
        // The page again, with the annotation listed (and a reload even
        // when only the fragment changes).
        history.replaceState(null, "", `${location.pathname}?done=annotated#annotation-${id}`);
        location.reload();
      } catch (x) {
        err.textContent = t.tFailedSave;
        err.hidden = false;
        hint.textContent = "";
        console.error("plan viewer:", x);
      } finally {
        submit.disabled = false;
      }
    });

    // ---- The keyboard cursor: a crosshair the arrows move over the page
    // (in screen steps, whatever the zoom and rotation), where Space or
    // Enter places the tool's next point; its place is said politely.
    let cursor = null; // {page, p (user space), shown}
    const say = q("[data-plan-cursor-say]");
    let sayTimer = 0, sayNext = "", saidAt = 0;
    function announce(text) {
      sayNext = text;
      if (sayTimer) return;
      const wait = Math.max(0, 800 - (Date.now() - saidAt));
      sayTimer = setTimeout(() => { sayTimer = 0; saidAt = Date.now(); say.textContent = sayNext; }, wait);
    }
    function onPage(n, p) {
      const info = infos.get(n);
      if (!info) return [round(p[0]), round(p[1])];
      const [x0, y0, x1, y1] = info.box;
      return [round(Math.min(Math.max(p[0], x0), x1)), round(Math.min(Math.max(p[1], y0), y1))];
    }
    // placeCursor puts the crosshair, when it has no place on a page in
    // view, in the middle of the part of the page on screen (the draft's
    // page while drawing).
    function placeCursor() {
      const view = pages.getBoundingClientRect();
      const seenOn = (f) => {
        const r = f.querySelector(".plan-viewer-sheet")?.getBoundingClientRect();
        return r && f.vp && r.bottom > view.top && r.top < view.bottom && r.right > view.left && r.left < view.right ? r : null;
      };
      if (cursor && (draft || pending || seenOn(frames[cursor.page - 1]))) { cursor.shown = true; return; }
      const frame = (draft && frames[draft.page - 1]) || frames.find(seenOn);
      const r = frame && seenOn(frame);
      if (!frame || !r) return;
      const x = (Math.max(r.left, view.left) + Math.min(r.right, view.right)) / 2 - r.left;
      const y = (Math.max(r.top, view.top) + Math.min(r.bottom, view.bottom)) / 2 - r.top;
      const n = Number(frame.dataset.page);
      cursor = { page: n, p: onPage(n, frame.vp.convertToPdfPoint(x, y)), shown: true };
      if (current !== n) { current = n; showScale(); }
    }
    // showCursor draws the crosshair on its page's overlay, in screen
    // units (two short lines and a ring, dark on a light halo).
    function showCursor() {
      for (const f of frames) f.querySelector(".plan-cursor")?.remove();
      if (!cursor || !cursor.shown || !tool) return;
      const frame = frames[cursor.page - 1];
      const svg = frame?.querySelector(".plan-viewer-overlay");
      if (!svg || !frame.vp) return;
      const [x, y] = frame.vp.convertToViewportPoint(cursor.p[0], cursor.p[1]);
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "plan-cursor");
      g.setAttribute("aria-hidden", "true");
      for (const [colour, width] of [["rgb(255 255 255)", 5], ["rgb(20 20 20)", 2]]) {
        for (const [name, at] of [["line", { x1: x - 16, y1: y, x2: x + 16, y2: y }], ["line", { x1: x, y1: y - 16, x2: x, y2: y + 16 }],
          ["circle", { cx: x, cy: y, r: 6 }]]) {
          const el = document.createElementNS(SVG, name);
          for (const [k, v] of Object.entries(at)) el.setAttribute(k, String(v));
          el.setAttribute("stroke", colour);
          el.setAttribute("stroke-width", String(width));
          el.setAttribute("fill", "none");
          g.append(el);
        }
      }
      svg.append(g);
    }
    function cursorText() {
      const frame = frames[cursor.page - 1];
      const [x, y] = frame.vp.convertToViewportPoint(cursor.p[0], cursor.p[1]);
      return t.tCursor.replace("{page}", String(cursor.page))
        .replace("{x}", String(Math.round((100 * x) / frame.vp.width))).replace("{y}", String(Math.round((100 * y) / frame.vp.height)));
    }
    // moveCursor moves the crosshair by dx, dy CSS pixels on the screen,
    // keeps it on its page and in view.
    function moveCursor(dx, dy) {
      placeCursor();
      if (!cursor) return;
      const frame = frames[cursor.page - 1];
      const [x, y] = frame.vp.convertToViewportPoint(cursor.p[0], cursor.p[1]);
      cursor.p = onPage(cursor.page, frame.vp.convertToPdfPoint(x + dx, y + dy));
      const [sx, sy] = frame.vp.convertToViewportPoint(cursor.p[0], cursor.p[1]);
      const r = frame.querySelector(".plan-viewer-sheet").getBoundingClientRect();
      const view = pages.getBoundingClientRect();
      const margin = 40;
      const px = r.left + sx, py = r.top + sy;
      pages.scrollBy(px < view.left + margin ? px - view.left - margin : px > view.right - margin ? px - view.right + margin : 0,
        py < view.top + margin ? py - view.top - margin : py > view.bottom - margin ? py - view.bottom + margin : 0);
      if (draft && draft.page === cursor.page) { hover = cursor.p; preview(); showLive(); }
      showCursor();
      announce(cursorText());
    }
    function placeAtCursor() {
      placeCursor();
      if (!cursor) return;
      showCursor();
      const before = draft ? draft.pts.length : 0;
      add(frames[cursor.page - 1], cursor.p);
      if (draft && draft.pts.length > before) announce(t.tCursorPoint.replace("{n}", String(draft.pts.length)));
    }
    pages.addEventListener("focus", () => {
      if (tool && pages.matches(":focus-visible")) { placeCursor(); showCursor(); }
    });

    // ---- Changing an annotation: its status (open, resolved, for
    // information) and its comment, from its entry in the list or from
    // its shape on the sheet, saved with the JSON's PATCH; the server
    // decides who may (the author alone changes the text) and its refusal
    // is shown in the form, in the page's language.
    const editForm = q("[data-plan-edit]");
    let editing = null; // {id, button}
    for (const p of document.querySelectorAll("[data-plan-edit-open]")) p.hidden = false;
    for (const b of document.querySelectorAll("[data-plan-edit-for]")) {
      b.addEventListener("click", () => (editing && editing.id === b.dataset.planEditFor ? closeEditor(true) : openEditor(b.dataset.planEditFor)));
    }
    function openEditor(id) {
      const a = byId.get(id);
      const li = document.getElementById(`annotation-${id}`);
      const button = li?.querySelector("[data-plan-edit-for]");
      if (!a || !button) return false;
      closeEditor(false);
      editing = { id, button };
      button.setAttribute("aria-expanded", "true");
      button.closest("[data-plan-edit-open]").after(editForm);
      editForm.elements.status.value = a["madina:status"];
      editForm.elements.comment.value = (a.body || []).map((b) => b.value).join("\n");
      editForm.querySelector("[data-plan-error]").hidden = true;
      li.querySelector("[data-plan-edit-said]").textContent = "";
      editForm.hidden = false;
      editForm.scrollIntoView({ block: "nearest" });
      editForm.elements.status.focus();
      return true;
    }
    function closeEditor(refocus) {
      if (!editing) return;
      editForm.hidden = true;
      editing.button.setAttribute("aria-expanded", "false");
      if (refocus) editing.button.focus();
      editing = null;
    }
    editForm.querySelector("[data-plan-edit-cancel]").addEventListener("click", () => closeEditor(true));
    editForm.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !e.ctrlKey && !e.altKey && !e.metaKey) { e.preventDefault(); closeEditor(true); }
    });
    editForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!editing) return;
      const { id } = editing;
      const a = byId.get(id);
      const err = editForm.querySelector("[data-plan-error]");
      const status = editForm.elements.status.value;
      const comment = editForm.elements.comment.value.trim();
      const body = {};
      if (status !== a["madina:status"]) body["madina:status"] = status;
      if (comment !== (a.body || []).map((b) => b.value).join("\n")) body.body = { type: "TextualBody", value: comment, format: "text/plain" };
      if (!Object.keys(body).length) { closeEditor(true); return; }
      const submit = editForm.querySelector("button[type=submit]");
      submit.disabled = true;
      err.hidden = true;
      try {
        const r = await fetch(`${t.annotations}/${id}`, {
          method: "PATCH", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": t.csrf },
          body: JSON.stringify(body),
        });
        const out = await r.json().catch(() => ({}));
        if (!r.ok) {
          const details = (out.errors || []).map((x) => x.detail).filter((x) => x && x !== out.detail);
          err.textContent = [out.detail || t.tEditFailed, ...details].join(" ");
          err.hidden = false;
          return;
        }
        // Shown at once, on the sheet and in the list.
        a["madina:status"] = out["madina:status"];
        a.body = out.body;
        a["madina:resolved"] = out["madina:resolved"];
        for (const link of pages.querySelectorAll(`.plan-annotation[data-id="${id}"]`)) dress(link, a);
        const li = document.getElementById(`annotation-${id}`);
        const opt = editForm.elements.status.querySelector(`option[value="${a["madina:status"]}"]`);
        const tag = li.querySelector(".tag");
        if (tag && opt) {
          tag.textContent = opt.textContent;
          tag.className = `tag tag-${opt.dataset.tag}`;
        }
        const row = li.querySelector("[data-plan-body]");
        const text = (a.body || []).map((b) => b.value).join("\n");
        if (row) {
          row.querySelector("dd").textContent = text;
          row.hidden = text === "";
        }
        const done = li.querySelector("[data-plan-edit-said]");
        closeEditor(true);
        done.textContent = t.tEdited;
      } catch (x) {
        err.textContent = t.tEditFailed;
        err.hidden = false;
        console.error("plan viewer:", x);
      } finally {
        submit.disabled = false;
      }
    });

    // The keys: within the viewer only, without a modifier, and never
    // while typing in a field. Letters are read by their place on the
    // keyboard (e.code), the same on an Arabic or French layout.
    const keys = new Map();
    for (const b of panel.querySelectorAll("[data-tool]")) keys.set(`Key${b.getAttribute("aria-keyshortcuts")}`, b.dataset.tool);
    section.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented) return;
      if (e.target.closest("input, textarea, select")) {
        if (e.key === "Escape") { cancel(); pages.focus(); }
        return;
      }
      const onButton = e.target.closest("button, a, summary");
      // On the sheet, with a tool: the arrows move the crosshair (Shift,
      // by larger steps), Space places a point, and so does Enter unless
      // it finishes a shape of several points.
      const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (tool && !pending && pages.contains(e.target)) {
        const enter = e.code === "Enter" || e.code === "NumpadEnter";
        const several = ["many", "count", "freehand"].includes(gestures[tool]);
        if (arrows[e.code]) {
          const step = e.shiftKey ? 50 : 5;
          moveCursor(arrows[e.code][0] * step, arrows[e.code][1] * step);
        } else if (e.code === "Space" || (enter && !(draft && several))) placeAtCursor();
        else if (enter) finish();
        if (arrows[e.code] || e.code === "Space" || enter) { e.preventDefault(); return; }
      }
      let done = true;
      if (keys.has(e.code)) choose(keys.get(e.code));
      else if (e.code === "KeyR") { rotate(); redraw(); }
      else if (e.key === "+" || e.key === "=") { zoomIn(); redraw(); }
      else if (e.key === "-") { zoomOut(); redraw(); }
      else if (e.key === "0") { zoomFit(); redraw(); }
      else if (e.key === "Escape" && (draft || pending)) cancel();
      else if (e.key === "Enter" && draft && !onButton) finish();
      else if (e.key === "Backspace" && draft) { draft.pts.pop(); if (!draft.pts.length) { draft = null; hover = null; } preview(); showLive(); }
      else done = false;
      if (done) e.preventDefault();
    });

    showScale();
    return { attach };
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
    link.setAttribute("href", "#annotation-" + idOf(a));
    link.setAttribute("class", "plan-annotation");
    link.dataset.kind = a["madina:kind"];
    link.dataset.id = idOf(a);
    link.append(document.createElementNS(SVG, "title"));
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
      link.append(shape);
    }
    dress(link, a);
    g.append(link);
  }
  return svg;
}

// dress gives an annotation's link on the sheet what changes with it: its
// title (author and comment) and its stroke (dashed once resolved).
function dress(link, a) {
  const body = (a.body || []).map((b) => b.value).join(" ");
  link.querySelector("title").textContent = [a.creator.name, body].filter(Boolean).join(" — ");
  for (const shape of link.children) {
    if (shape.localName === "title") continue;
    if (a["madina:status"] === "resolved") shape.setAttribute("stroke-dasharray", "6 4");
    else shape.removeAttribute("stroke-dasharray");
  }
}
