// The map pages (issue #14, points 5 and 6), on Leaflet and
// Leaflet.markercluster (from npm, embedded under static/vendor/leaflet by
// scripts/assets).
//
// [data-portal-map] (/map): the portal's layers — arrondissement outlines,
// places, authorised projects — read from the OGC API at /ogc like any
// client, with clustering, filters, search by name, "near me", and the
// projects granted from now on from the live stream
// (/ogc/collections/projects/live, server-sent events).
//
// [data-location-map] (the web/layout partial location-map: the permit
// file's location step, the editors' place form): tap to set the point
// or, where the form has a GeoJSON field (data-shape), draw an outline;
// search a place, use my location. The point goes into the fields named
// by data-lat and data-lon, an outline into the GeoJSON field, and
// /api/v1/locate tells the arrondissement (and the competent window, with
// data-window) at once. Without this script the fields are typed.
//
// Texts come from the element's data-t-* attributes, in the page's
// language; {name} placeholders are filled here. Without tiles
// (data-tiles empty) the maps draw outlines and points on a plain
// background.
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  const lang = document.documentElement.lang || "ar";
  const rtl = document.documentElement.dir === "rtl";

  function fill(s, params) {
    return String(s || "").replace(/\{(\w+)\}/g, (m, k) => (k in params ? params[k] : m));
  }

  // fold is textnorm.Fold's rule, enough for search: case, Latin accents,
  // Arabic marks and tatweel, alef, yeh, teh marbuta and hamza variants.
  function fold(s) {
    return String(s || "").normalize("NFKD")
      .replace(/[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g, "")
      .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627").replace(/\u0649/g, "\u064a")
      .replace(/\u0629/g, "\u0647").replace(/\u0624/g, "\u0648").replace(/\u0626/g, "\u064a")
      .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x660))
      .toLowerCase().trim();
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }

  // name is a feature's name in the page's language: name_xx, or a
  // {ar,fr,en} object.
  function name(p, key) {
    key = key || "name";
    const v = p[key];
    if (v && typeof v === "object") return v[lang] || v.ar || v.fr || "";
    return p[key + "_" + lang] || p[key + "_ar"] || p[key + "_fr"] || p.code || "";
  }

  // items reads every feature of an OGC collection, following next links;
  // null when the collection is not there.
  async function items(url) {
    const out = [];
    while (url) {
      const r = await fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" });
      if (r.status === 404) return out.length ? out : null;
      if (!r.ok) throw new Error(url + ": " + r.status);
      const doc = await r.json();
      out.push(...(doc.features || []));
      const next = (doc.links || []).find((l) => l.rel === "next");
      url = next ? next.href : null;
    }
    return out;
  }

  // layers are the ids of the portal's collections: a map asks only for
  // those the portal serves.
  let layerList = null;
  function layers() {
    if (!layerList) {
      layerList = fetch("/ogc/collections?f=json", { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => r.json()).then((d) => new Set((d.collections || []).map((c) => c.id)));
    }
    return layerList;
  }

  // layer reads every feature of collection id, null when the portal has
  // no such layer.
  async function layer(id, limit, query) {
    const have = await layers();
    if (!have.has(id)) return null;
    return items("/ogc/collections/" + id + "/items?f=json&limit=" + (limit || 10000) + (query || ""));
  }

  function newMap(canvas, root) {
    const t = root.dataset;
    canvas.setAttribute("dir", "ltr"); // Leaflet lays its panes out left to right
    const map = L.map(canvas, { zoomControl: false, attributionControl: false, minZoom: 9, maxZoom: 19, zoomSnap: 0.25 });
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", t.tRegion || "");
    L.control.zoom({ position: rtl ? "topright" : "topleft", zoomInTitle: t.tZoomIn, zoomOutTitle: t.tZoomOut }).addTo(map);
    const attribution = L.control.attribution({ position: rtl ? "bottomleft" : "bottomright", prefix: false }).addTo(map);
    const background = (tiles, credit, b) => {
      if (tiles) {
        L.tileLayer(tiles, { maxZoom: 19, attribution: "" }).addTo(map);
        attribution.addAttribution(credit || "");
      }
      if (b && b.length === 4 && b.every(isFinite)) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { animate: false });
    };
    map.setView([33.57, -7.59], 11, { animate: false });
    if (t.settings) {
      map.ready = fetch(t.settings, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => r.json()).then((s) => background(s.tiles, s.attribution, s.bounds)).catch(() => {});
    } else {
      background(t.tiles, t.attribution, (t.bounds || "").split(",").map(Number));
      map.ready = Promise.resolve();
    }
    map.on("popupopen", (e) => {
      const c = e.popup.getElement();
      if (!c) return;
      c.setAttribute("dir", document.documentElement.dir);
      const close = c.querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", t.tClose || "×");
    });
    return map;
  }

  // pin is a marker drawn in CSS, named for assistive technology.
  function pin(latlng, kind, title) {
    const m = L.marker(latlng, { icon: L.divIcon({ className: "map-pin map-pin-" + kind, iconSize: [24, 24], html: "" }), title: title, keyboard: true });
    m.on("add", () => { const e = m.getElement(); if (e) e.setAttribute("aria-label", title); });
    return m;
  }

  function cluster(kind, label) {
    return L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true,
      iconCreateFunction: (c) => {
        const n = c.getChildCount();
        const ms = c.getAllChildMarkers();
        const k = ms.some((m) => m.feature) ? "project" : ms.every((m) => m.request) ? "request" : "place";
        const size = n < 10 ? 34 : n < 100 ? 40 : 48;
        return L.divIcon({ className: "map-cluster map-cluster-" + k, iconSize: [size, size],
          html: '<span aria-hidden="true">' + n + '</span><span class="visually-hidden">' + fill(label, { n: n }) + "</span>" });
      },
    });
  }

  // centre is a geometry's point for a marker: the point, or its outline's
  // box centre.
  function centre(g) {
    if (!g) return null;
    if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    const layer = L.geoJSON(g);
    return layer.getBounds().isValid() ? layer.getBounds().getCenter() : null;
  }

  function formatDate(s) {
    const d = new Date(s);
    if (isNaN(d)) return s || "";
    return new Intl.DateTimeFormat(lang === "ar" ? "ar-MA" : lang, { dateStyle: "long", timeZone: "Africa/Casablanca" }).format(d);
  }

  // locateMe asks the browser for its position and gives it to done; say
  // tells the user while it waits and why there is none: refused by the
  // user (or the browser's settings), or not found.
  function locateMe(say, t, done) {
    if (!navigator.geolocation) { say(t.tNearUnavailable); return; }
    say(t.tNearAsking);
    navigator.geolocation.getCurrentPosition((pos) => done(L.latLng(pos.coords.latitude, pos.coords.longitude)),
      (err) => say(err && err.code === 1 ? t.tNearDenied : t.tNearUnavailable),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  // distance is a length in metres as the page's language writes it:
  // metres under a kilometre, else kilometres to one decimal.
  function distance(m) {
    const loc = lang === "ar" ? "ar-MA" : lang;
    if (m < 1000) return new Intl.NumberFormat(loc, { style: "unit", unit: "meter", maximumFractionDigits: 0 }).format(Math.round(m / 10) * 10);
    return new Intl.NumberFormat(loc, { style: "unit", unit: "kilometer", maximumFractionDigits: 1 }).format(m / 1000);
  }

  // ---------------------------------------------------------------- /map
  function portal(root) {
    const t = root.dataset;
    const status = root.querySelector("#map-status");
    const results = root.querySelector("#map-results");
    const form = root.querySelector("#map-controls");
    const say = (s) => { status.textContent = s; };
    root.hidden = false;
    const map = newMap(root.querySelector("#map"), root);
    root.leafletMap = map; // for the browser tests, which click on places
    say(t.tLoading);

    const outlines = L.featureGroup().addTo(map);
    // One cluster group for places and projects: clusters of two groups
    // would overlap and hide each other's targets.
    const places = cluster("place", t.tCluster).addTo(map);
    const projects = places;
    const parcels = L.featureGroup().addTo(map);
    const areas = {}; // code → {name, layer}
    let allPlaces = [];
    let allProjects = [];
    const allRequests = [];
    const kinds = new Map();
    const categories = {};
    root.querySelectorAll(".map-categories li").forEach((li) => { categories[li.dataset.code] = li.textContent; });

    // row is a popup's line: a label above its value.
    function row(box, label, value) {
      const p = el("p");
      p.append(el("span", { class: "small" }, label), el("br"), el("span", {}, value));
      box.append(p);
    }

    function projectPopup(p) {
      const box = el("div");
      box.append(el("p").appendChild(el("strong", { dir: "ltr" }, p.number)).parentNode);
      row(box, t.tKind, name(p, "kind_name"));
      row(box, t.tGranted, formatDate(p.granted));
      if (p.tacit) box.append(el("p", {}, t.tTacit));
      if (areas[p.arrondissement]) row(box, t.tArrondissement, areas[p.arrondissement].name);
      const a = el("a", { href: "/ogc/collections/projects/items/" + encodeURIComponent(p.number) + "?f=html" }, t.tDetails);
      box.append(el("p").appendChild(a).parentNode);
      return box;
    }

    function placePopup(f) {
      const p = f.properties;
      const box = el("div");
      box.append(el("p").appendChild(el("strong", {}, name(p))).parentNode);
      if (p.category) row(box, t.tCategory, categories[p.category] || p.category);
      if (areas[p.arrondissement]) row(box, t.tArrondissement, areas[p.arrondissement].name);
      const a = el("a", { href: "/places/" + encodeURIComponent(f.id) }, t.tDetails);
      box.append(el("p").appendChild(a).parentNode);
      return box;
    }

    function requestPopup(p) {
      const box = el("div");
      box.append(el("p").appendChild(el("strong", { dir: "ltr" }, p.number)).parentNode);
      row(box, t.tCategory, name(p, "category_name") || p.category);
      row(box, t.tStatus, p.status === "closed" ? t.tClosed : t.tOpen);
      row(box, t.tFiled, formatDate(p.filed));
      if (areas[p.arrondissement]) row(box, t.tArrondissement, areas[p.arrondissement].name);
      const a = el("a", { href: "/ogc/collections/requests/items/" + encodeURIComponent(p.number) + "?f=html" }, t.tDetails);
      box.append(el("p").appendChild(a).parentNode);
      return box;
    }

    // A citizen's request: its point, category and state (never who filed
    // it, nor what they wrote).
    function addRequest(f) {
      const p = f.properties || {};
      const at = centre(f.geometry);
      if (!at) return;
      const m = pin(at, "request", p.number + " — " + (name(p, "category_name") || p.category));
      m.bindPopup(() => requestPopup(p));
      m.request = true;
      allRequests.push({ p: p, marker: m });
    }

    function addProject(f, fresh) {
      const p = f.properties || {};
      const at = centre(f.geometry);
      if (!at) return null;
      if (p.kind && !kinds.has(p.kind)) {
        kinds.set(p.kind, name(p, "kind_name") || p.kind);
        const sel = form.elements.kind;
        sel.append(el("option", { value: p.kind }, kinds.get(p.kind)));
      }
      const m = pin(at, fresh ? "new" : "project", p.number + " — " + name(p, "kind_name"));
      m.bindPopup(() => projectPopup(p));
      const item = { f: f, p: p, marker: m, shape: null, search: fold(p.number) };
      if (f.geometry && f.geometry.type !== "Point") {
        item.shape = L.geoJSON(f.geometry, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.2 }, interactive: false });
      }
      m.feature = item;
      allProjects.push(item);
      return item;
    }

    function addPlace(f) {
      const p = f.properties || {};
      const at = centre(f.geometry);
      if (!at) return;
      const m = pin(at, "place", name(p));
      m.bindPopup(() => placePopup(f));
      allPlaces.push({ f: f, p: p, marker: m, at: at,
        search: fold([p.name_ar, p.name_fr, p.name_en, p.address_ar, p.address_fr, p.address_en, p.code].join(" ")) });
    }

    function keepProject(it, v) {
      const p = it.p;
      if (v.arrondissement && p.arrondissement !== v.arrondissement) return false;
      if (v.kind && p.kind !== v.kind) return false;
      const day = String(p.granted || "").slice(0, 10);
      if (v.from && day < v.from) return false;
      if (v.to && day > v.to) return false;
      return true;
    }

    // on reports whether a layer's box is ticked (a layer the portal does
    // not serve has none).
    const on = (id) => { const b = form.elements["layer-" + id]; return !!b && b.checked; };

    function values() {
      const e = form.elements;
      return { arrondissement: e.arrondissement.value, kind: e.kind.value, from: e.from.value, to: e.to.value,
        layers: { arrondissements: on("arrondissements"), places: on("places"), projects: on("projects"), requests: on("requests") } };
    }

    function redraw() {
      const v = values();
      projects.clearLayers();
      places.clearLayers();
      parcels.clearLayers();
      let np = 0, nq = 0, nr = 0;
      if (v.layers.projects) {
        const ms = [];
        for (const it of allProjects) {
          if (!keepProject(it, v)) continue;
          ms.push(it.marker);
          if (it.shape) parcels.addLayer(it.shape);
          np++;
        }
        projects.addLayers(ms);
      }
      if (v.layers.places) {
        const ms = [];
        for (const it of allPlaces) {
          if (v.arrondissement && it.p.arrondissement !== v.arrondissement) continue;
          ms.push(it.marker);
          nq++;
        }
        places.addLayers(ms);
      }
      if (v.layers.requests) {
        const ms = [];
        for (const it of allRequests) {
          const day = String(it.p.filed || "").slice(0, 10);
          if ((v.arrondissement && it.p.arrondissement !== v.arrondissement) || (v.from && day < v.from) || (v.to && day > v.to)) continue;
          ms.push(it.marker);
          nr++;
        }
        places.addLayers(ms);
      }
      if (v.layers.arrondissements) { if (!map.hasLayer(outlines)) outlines.addTo(map); } else outlines.remove();
      for (const [code, a] of Object.entries(areas)) {
        a.layer.setStyle({ weight: code === v.arrondissement ? 4 : 1.5, fillOpacity: code === v.arrondissement ? 0.12 : 0.03 });
      }
      root.dataset.shownProjects = np;
      root.dataset.shownPlaces = nq;
      root.dataset.shownRequests = nr;
      say(fill(t.tShown, { projects: np, places: nq }) + (v.layers.requests ? " " + fill(t.tShownRequests, { requests: nr }) : ""));
    }

    form.addEventListener("change", (e) => {
      if (e.target.name === "q") return;
      redraw();
      if (e.target.name === "arrondissement") {
        const a = areas[e.target.value];
        if (a) map.fitBounds(a.layer.getBounds());
      }
    });
    form.addEventListener("submit", (e) => e.preventDefault());

    // Search by name: places, arrondissements, permit numbers.
    function showResults(list, heading) {
      results.replaceChildren();
      if (heading) results.append(el("h2", { class: "h3" }, heading));
      const ul = el("ul");
      for (const r of list.slice(0, 20)) {
        const b = el("button", { type: "button", class: "link" }, r.label);
        b.addEventListener("click", r.go);
        const li = el("li");
        li.append(b, document.createTextNode(" — " + r.kind));
        ul.append(li);
      }
      results.append(ul);
      results.className = "map-results";
    }

    // open shows a marker's popup, zooming to it. Asked while the map or
    // its clusters are still zooming (a quick tap on "near me"'s list),
    // zoomToShowLayer would wait for a move that never comes: wait for
    // the zoom to end first.
    function open(marker, group) {
      if (group._inZoomAnimation || map._animatingZoom) { setTimeout(() => open(marker, group), 100); return; }
      group.zoomToShowLayer(marker, () => marker.openPopup());
    }

    let searchTimer;
    root.querySelector("#map-search").addEventListener("input", (e) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        const q = fold(e.target.value);
        if (q.length < 2) { results.replaceChildren(); return; }
        const out = [];
        for (const [code, a] of Object.entries(areas)) {
          if (a.search.includes(q)) out.push({ label: a.name, kind: t.tKindArrondissement, go: () => { form.elements.arrondissement.value = code; redraw(); map.fitBounds(a.layer.getBounds()); } });
        }
        for (const it of allPlaces) {
          if (it.search.includes(q)) out.push({ label: name(it.p), kind: t.tKindPlace, go: () => { if (!on("places")) { form.elements["layer-places"].checked = true; redraw(); } open(it.marker, places); } });
        }
        for (const it of allProjects) {
          if (it.search.includes(q)) out.push({ label: it.p.number, kind: t.tKindProject, go: () => open(it.marker, projects) });
        }
        if (!out.length) { results.replaceChildren(el("p", {}, t.tNoMatch)); say(t.tNoMatch); return; }
        showResults(out, fill(t.tMatches, { n: out.length }));
        say(fill(t.tMatches, { n: out.length }));
      }, 200);
    });

    // Near me: the browser's position, and the nearest places.
    let me = null;
    root.querySelector("#map-near").addEventListener("click", () => locateMe(say, t, (at) => {
      const b = (t.bounds || "").split(",").map(Number);
      if (!(at.lng >= b[0] && at.lat >= b[1] && at.lng <= b[2] && at.lat <= b[3])) { say(t.tNearOutside); return; }
      if (me) me.remove();
      me = pin(at, "me", t.tHere).addTo(map);
      map.setView(at, 15);
      if (form.elements["layer-places"] && !on("places")) { form.elements["layer-places"].checked = true; redraw(); }
      const near = allPlaces.map((it) => ({ it: it, d: at.distanceTo(it.at) })).filter((x) => x.d <= 2000)
        .sort((a, b) => a.d - b.d).slice(0, 5);
      root.dataset.near = near.length;
      if (!near.length) { results.replaceChildren(el("p", {}, t.tNearNone)); say(t.tNearNone); return; }
      showResults(near.map((x) => ({ label: name(x.it.p), kind: distance(x.d), go: () => open(x.it.marker, places) })), t.tNearList);
      say(t.tNearList);
    }));

    Promise.all([
      layer("arrondissements", 100),
      layer("city", 10),
      layer("places"),
      layer("projects"),
      // The requests of the last 90 days: the public list's span.
      layer("requests", 10000, "&datetime=" + encodeURIComponent(new Date(Date.now() - 90 * 864e5).toISOString().slice(0, 19) + "Z") + "/.."),
    ]).then(([arr, city, pls, prj, req]) => {
      for (const f of city || []) {
        L.geoJSON(f.geometry, { style: { color: "#0b5d4b", weight: 2.5, fill: false, className: "map-outline" }, interactive: false }).addTo(outlines);
      }
      for (const f of arr || []) {
        const p = f.properties || {};
        const code = p.code || f.id;
        const nm = name(p);
        const layer = L.geoJSON(f.geometry, { style: { color: "#0b5d4b", weight: 1.5, fillColor: "#0b5d4b", fillOpacity: 0.03, className: "map-outline" } });
        layer.bindTooltip(nm, { sticky: true, direction: "top", className: "map-label" });
        layer.on("click", () => { form.elements.arrondissement.value = code; redraw(); });
        layer.addTo(outlines);
        areas[code] = { name: nm, layer: layer, search: fold([p.name_ar, p.name_fr, p.name_en, code].join(" ")) };
      }
      if (!arr) {
        for (const o of form.elements.arrondissement.options) {
          if (o.value) areas[o.value] = areas[o.value] || { name: o.textContent, layer: L.featureGroup(), search: fold(o.textContent + " " + o.value) };
        }
      }
      for (const f of pls || []) addPlace(f);
      for (const f of prj || []) addProject(f, false);
      for (const f of req || []) addRequest(f);
      root.dataset.ready = "true";
      redraw();
      live();
    }).catch((err) => {
      console.error("map:", err);
      say(t.tFailed);
    });

    // Live: each project granted from now on, within a second.
    function live() {
      if (typeof EventSource === "undefined") return;
      const es = new EventSource("/ogc/collections/projects/live");
      es.addEventListener("project", (e) => {
        let f;
        try { f = JSON.parse(e.data); } catch (_) { return; }
        const number = (f.properties || {}).number;
        if (allProjects.some((it) => it.p.number === number)) return;
        const it = addProject(f, true);
        if (!it) return;
        const v = values();
        if (v.layers.projects && keepProject(it, v)) {
          projects.addLayer(it.marker);
          if (it.shape) parcels.addLayer(it.shape);
          root.dataset.shownProjects = Number(root.dataset.shownProjects || 0) + 1;
        }
        root.dataset.live = number;
        say(fill(t.tNew, { number: number, kind: name(it.p, "kind_name") }));
      });
    }
  }

  // ---------------------------------------------- a form's location map
  // [data-location-map]: the fields it fills are named by data-lat,
  // data-lon, data-shape (a GeoJSON field: outlines may be drawn; absent,
  // a point only) and data-select (an arrondissement select to set).
  function locationMap(root) {
    const t = root.dataset;
    const form = root.closest("form");
    const field = (id) => (id ? form.querySelector("#" + CSS.escape(id)) : null);
    const f = { lat: field(t.lat), lon: field(t.lon), geojson: field(t.shape), arrondissement: field(t.select) };
    if (!f.lat || !f.lon) return;
    const where = root.querySelector(".location-where");
    const status = root.querySelector(".location-status");
    const say = (s) => { status.textContent = s; };
    root.hidden = false;
    const map = newMap(root.querySelector(".map-canvas"), root);
    root.leafletMap = map;
    const outlines = L.featureGroup().addTo(map);
    const drawn = L.featureGroup().addTo(map);
    let mode = "point";
    let corners = [];
    const areas = [];

    layer("arrondissements", 100).then((arr) => {
      for (const a of arr || []) {
        const p = a.properties || {};
        const layer = L.geoJSON(a.geometry, { style: { color: "#0b5d4b", weight: 1.5, fillOpacity: 0.03 }, interactive: false }).addTo(outlines);
        areas.push({ name: name(p), code: p.code || a.id, layer: layer, search: fold([p.name_ar, p.name_fr, p.name_en].join(" ")) });
      }
    }).catch(() => {});
    layer("city", 10).then((cs) => {
      for (const c of cs || []) L.geoJSON(c.geometry, { style: { color: "#0b5d4b", weight: 2.5, fill: false, className: "map-outline" }, interactive: false }).addTo(outlines);
    }).catch(() => {});

    const fmt = (x) => x.toFixed(6);

    // locate tells the arrondissement (and, asked, the window) of the
    // point; the last point set wins when answers cross.
    let asked = 0;
    async function locate(lat, lon) {
      const n = ++asked;
      root.dataset.located = "";
      where.replaceChildren(el("p", {}, t.tLocating));
      try {
        const r = await fetch("/api/v1/locate?lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon) + "&lang=" + lang,
          { headers: { Accept: "application/json" }, credentials: "same-origin" });
        const doc = await r.json();
        if (n !== asked) return;
        if (!r.ok) {
          where.replaceChildren(el("p", { class: "error" }, doc.detail || doc.title || String(r.status)));
          root.dataset.located = "error";
          return;
        }
        const a = doc.arrondissement;
        where.replaceChildren(el("p", {}, fill(t.tLocated, { arrondissement: a.name[lang] || a.name.ar, prefecture: doc.prefecture.name[lang] || doc.prefecture.name.ar })));
        if (t.window) {
          const city = t.route === "city";
          const win = city ? doc.city_window : doc.window;
          where.append(el("p", {}, fill(t.tWindow, { window: win.name[lang] || win.name.ar })));
          if (city) where.append(el("p", { class: "hint" }, t.tRoute));
        }
        if (f.arrondissement && [...f.arrondissement.options].some((o) => o.value === a.code)) f.arrondissement.value = a.code;
        root.dataset.located = a.code;
      } catch (err) {
        if (n !== asked) return;
        console.error("locate:", err);
        where.replaceChildren();
      }
    }

    function setPoint(at, moveMap) {
      drawn.clearLayers();
      corners = [];
      f.lat.value = fmt(at.lat);
      f.lon.value = fmt(at.lng);
      if (f.geojson) f.geojson.value = "";
      pin(at, "project", fill(t.tPointSet, { lat: fmt(at.lat), lon: fmt(at.lng) })).addTo(drawn);
      if (moveMap) map.setView(at, Math.max(map.getZoom(), 16));
      say(fill(t.tPointSet, { lat: fmt(at.lat), lon: fmt(at.lng) }));
      locate(f.lat.value, f.lon.value);
    }

    function drawCorners(closed) {
      drawn.clearLayers();
      if (corners.length >= 3 && closed) L.polygon(corners, { color: "#b3261e", weight: 2 }).addTo(drawn);
      else if (corners.length >= 2) L.polyline(corners, { color: "#b3261e", weight: 2, dashArray: "4 4" }).addTo(drawn);
      corners.forEach((c, i) => pin(c, "new", String(i + 1)).addTo(drawn));
    }

    function finish() {
      if (corners.length < 3) { say(fill(t.tCorners, { n: corners.length })); return; }
      const ring = corners.map((c) => [Number(fmt(c.lng)), Number(fmt(c.lat))]);
      ring.push(ring[0]);
      f.geojson.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      const c = L.polygon(corners).getBounds().getCenter();
      f.lat.value = fmt(c.lat);
      f.lon.value = fmt(c.lng);
      drawCorners(true);
      say(fill(t.tClosed, { n: corners.length }));
      locate(f.lat.value, f.lon.value);
    }

    const tools = root.querySelector(".location-tools");
    const act = (a) => tools.querySelector("[data-act=" + a + "]");
    if (f.geojson) {
      const finishB = act("finish");
      const undoB = act("undo");
      const syncTools = () => { finishB.hidden = undoB.hidden = mode !== "polygon"; };
      root.querySelectorAll("input[name=location-mode]").forEach((r) => r.addEventListener("change", () => {
        mode = r.value;
        corners = [];
        syncTools();
        if (mode === "polygon") say(fill(t.tCorners, { n: 0 }));
      }));
      finishB.addEventListener("click", finish);
      undoB.addEventListener("click", () => { corners.pop(); drawCorners(false); say(fill(t.tCorners, { n: corners.length })); });
      syncTools();
    }
    act("clear").addEventListener("click", () => {
      corners = []; drawn.clearLayers(); f.lat.value = ""; f.lon.value = ""; if (f.geojson) f.geojson.value = "";
      asked++; root.dataset.located = ""; where.replaceChildren(); say("");
    });
    act("mine").addEventListener("click", () => {
      locateMe(say, t, (at) => setPoint(at, true));
    });

    map.on("click", (e) => {
      if (mode === "point") { setPoint(e.latlng, false); return; }
      corners.push(e.latlng);
      drawCorners(false);
      say(fill(t.tCorners, { n: corners.length }));
    });

    // Search: the arrondissements by name here; the server finds the
    // visitor's earlier parcels (land title, address, file number) and the
    // directory's places (/map/search), so a phone does not load them all.
    const search = root.querySelector(".location-search input");
    const found = root.querySelector(".location-found");
    // useFound places what a search found: an earlier parcel's outline
    // where the form takes one, else its point.
    function useFound(g) {
      if (g.type !== "Point" && f.geojson) {
        f.geojson.value = JSON.stringify(g);
        const c = centre(g);
        if (c) { f.lat.value = fmt(c.lat); f.lon.value = fmt(c.lng); }
        mode = "point";
        corners = [];
        fromFields(true);
        say(t.tParcelSet || "");
        return;
      }
      const at = centre(g);
      if (at) setPoint(at, true);
    }
    let searched = 0;
    async function runSearch() {
      const typed = search.value.trim();
      const q = fold(typed);
      const n = ++searched;
      found.replaceChildren();
      if (q.length < 2) return;
      const out = [];
      for (const a of areas) if (a.search.includes(q)) out.push({ label: a.name, go: () => map.fitBounds(a.layer.getBounds()) });
      try {
        const r = await fetch("/map/search?q=" + encodeURIComponent(typed) + "&lang=" + lang,
          { headers: { Accept: "application/json" }, credentials: "same-origin" });
        const doc = await r.json();
        if (r.ok) {
          for (const x of doc.results || []) {
            out.push({ label: x.label + (x.detail ? " — " + x.detail : ""), kind: x.kind, go: () => useFound(x.geometry) });
          }
        }
      } catch (err) {
        console.error("search:", err);
      }
      if (n !== searched) return;
      if (!out.length) { found.append(el("p", {}, t.tNoMatch)); return; }
      const ul = el("ul");
      for (const r of out.slice(0, 20)) {
        const b = el("button", { type: "button", class: "link" }, r.label);
        if (r.kind) b.dataset.kind = r.kind;
        b.addEventListener("click", r.go);
        ul.append(el("li").appendChild(b).parentNode);
      }
      found.append(ul);
    }
    root.querySelector(".location-search button").addEventListener("click", runSearch);
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); runSearch(); } });

    // What the form holds already, and what is typed.
    function fromFields(moveMap) {
      if (f.geojson && f.geojson.value.trim()) {
        try {
          const g = JSON.parse(f.geojson.value);
          drawn.clearLayers();
          const layer = L.geoJSON(g, { style: { color: "#b3261e", weight: 2 } }).addTo(drawn);
          if (moveMap && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { maxZoom: 17, animate: false });
          const c = centre(g);
          if (c) locate(fmt(c.lat), fmt(c.lng));
          return;
        } catch (_) { /* the server says what is wrong */ }
      }
      const lat = parseFloat(String(f.lat.value).replace(",", "."));
      const lon = parseFloat(String(f.lon.value).replace(",", "."));
      if (isFinite(lat) && isFinite(lon)) {
        drawn.clearLayers();
        const at = L.latLng(lat, lon);
        pin(at, "project", fill(t.tPointSet, { lat: lat, lon: lon })).addTo(drawn);
        if (moveMap) map.setView(at, 16, { animate: false });
        locate(f.lat.value, f.lon.value);
      }
    }
    f.lat.addEventListener("change", () => fromFields(true));
    f.lon.addEventListener("change", () => fromFields(true));
    if (f.geojson) f.geojson.addEventListener("change", () => fromFields(true));
    map.ready.then(() => fromFields(true));
  }

  const start = () => {
    document.querySelectorAll("[data-portal-map]").forEach(portal);
    document.querySelectorAll("[data-location-map]").forEach(locationMap);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
