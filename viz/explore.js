// tracegrad explorer: the forward and backward graphs, a node inspector and a backward-pass stepper.
//
// A hand-written ES module (no build step, no libraries). It works in two hosts:
//   * anywidget (Jupyter): `render({ model, el })`, the synced traitlet "scene" holds the JSON string;
//   * the standalone page written by viz/explore.py (same call, a fake model).
// Python lays out every graph (Graphviz SVG) and computes every number; this file only shows them.
// The data contract ("scene") is the docstring of viz/explore.py.

const XLINK = "http://www.w3.org/1999/xlink";
const SVGNS = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------------------------
// Small helpers: DOM building and number formatting
// ---------------------------------------------------------------------------------------------

/** Create an HTML element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** A number with 4 significant digits (as the drawings print them); exponent for tiny or huge ones. */
function fmt(v) {
  if (v === null || v === undefined) return "nan";
  if (Math.abs(v) >= 1e300) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(4)));
}

/** The result, one digit more than the drawings (dC_res/dtheta = 1.4545). */
function fmt5(v) {
  return v === null || v === undefined || Math.abs(v) >= 1e300 || Math.abs(v) < 1e-3 ? fmt(v)
    : String(Number(v.toPrecision(5)));
}

/** Python-style shape text: (), (3,), (2, 6, 28, 28). */
function shapeText(shape) {
  if (!shape) return "";
  return "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")");
}

/** A Numbers record as one short text: the numbers when few, else shape and rms. */
function numText(n, maxCells = 9, f = fmt) {
  if (!n) return "–";
  if (n.grid) {
    const flat = n.grid.flat();
    if (flat.length === 1) return f(flat[0]);
    if (flat.length <= maxCells) {
      const row = (r) => "[" + r.map(f).join(", ") + "]";
      return n.grid.length === 1 ? row(n.grid[0]) : "[" + n.grid.map(row).join(", ") + "]";
    }
  }
  return `${shapeText(n.shape)} tensor, rms ${f(n.rms)}`;
}

/** Diverging colour for t in [-1, 1]: blue (negative), near-white (0), red (positive). */
function diverging(t) {
  t = Math.max(-1, Math.min(1, t || 0));
  const [lo, mid, hi] = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];
  const end = t < 0 ? lo : hi;
  const a = Math.abs(t);
  return mid.map((m, i) => Math.round(m + (end[i] - m) * a));
}

/** Largest |x| of a Numbers record (the symmetric range of its colour scale). */
function absMax(n) {
  return Math.max(Math.abs(n.min ?? 0), Math.abs(n.max ?? 0)) || 1;
}

// ---------------------------------------------------------------------------------------------
// Number views: a grid as a table, 2-d maps as heatmaps on canvases
// ---------------------------------------------------------------------------------------------

/** A small tensor's numbers as an HTML table, cells lightly tinted by sign and size. */
function gridTable(n) {
  const m = absMax(n);
  const rows = n.grid.map((r) =>
    h("tr", {}, r.map((v) => {
      const [R, G, B] = diverging(v / m);
      return h("td", { style: `background: rgba(${R},${G},${B},0.45)` }, fmt(v));
    })));
  return h("table", { class: "tg-grid" }, h("tbody", {}, rows));
}

/** One 2-d map drawn on a canvas, one rectangle per number, with a caption. */
function heatmap(map, scaleMax) {
  const rows = map.grid.length, cols = map.grid[0]?.length || 0;
  const sx = Math.max(2, Math.min(24, Math.floor(128 / Math.max(cols, 1))));
  const sy = Math.max(2, Math.min(24, Math.max(sx, Math.floor(24 / Math.max(rows, 1)))));
  const canvas = h("canvas", { width: cols * sx, height: rows * sy, class: "tg-heat" });
  const ctx = canvas.getContext("2d");
  let lo = Infinity, hi = -Infinity;
  map.grid.forEach((r, i) => r.forEach((v, j) => {
    const [R, G, B] = diverging(v / scaleMax);
    ctx.fillStyle = `rgb(${R},${G},${B})`;
    ctx.fillRect(j * sx, i * sy, sx, sy);
    lo = Math.min(lo, v); hi = Math.max(hi, v);
  }));
  const label = `${map.index || "map"}  min ${fmt(lo)}  max ${fmt(hi)}`;
  canvas.setAttribute("aria-label", label);
  return h("figure", { class: "tg-map" }, canvas, h("figcaption", {}, label));
}

/** The shared colour legend of a tensor's heatmaps: -m .. 0 .. +m. */
function legend(m) {
  return h("div", { class: "tg-legend" },
    h("span", {}, fmt(-m)), h("span", { class: "tg-legend-bar" }), h("span", {}, "0 .. " + fmt(m)));
}

/** A Numbers record in full: a table, heatmaps, or (for a big 1-d tensor) its summary. */
function numbersView(n) {
  if (!n) return h("p", { class: "tg-muted" }, "not available");
  const summary = h("div", { class: "tg-summary" },
    `shape ${shapeText(n.shape)} · rms ${fmt(n.rms)} · min ${fmt(n.min)} · max ${fmt(n.max)}`);
  if (n.grid) return h("div", {}, gridTable(n), n.grid.flat().length > 1 ? summary : null);
  if (n.maps) {
    const m = absMax(n);
    const total = n.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const note = total > n.maps.length ? h("div", { class: "tg-muted" }, `first ${n.maps.length} of ${total} maps`) : null;
    return h("div", {}, summary, legend(m), h("div", { class: "tg-maps" }, n.maps.map((mp) => heatmap(mp, m))), note);
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------
// A graph pane: one view's SVG, fitted, with pan (drag) and zoom (wheel) on the viewBox
// ---------------------------------------------------------------------------------------------

/** Index a freshly injected Graphviz SVG: node groups by data-id, edge groups by "from->to". */
function indexSvg(svg) {
  const nodes = new Map(), edges = new Map();
  svg.querySelectorAll("g.node").forEach((g) => nodes.set(g.getAttribute("data-id"), g));
  svg.querySelectorAll("g.edge").forEach((g) => {
    const t = g.querySelector("title");
    const [from, to] = (t ? t.textContent : "").split("->").map((s) => s.split(":")[0].trim());
    const key = `${from}->${to}`;
    if (!edges.has(key)) edges.set(key, []);
    edges.get(key).push(g);
  });
  // Graphviz's own tooltips (<title> children and xlink:title) would compete with ours: keep the
  // node's tooltip text as data-tip, then remove them all.
  svg.querySelectorAll("a").forEach((a) => {
    const tip = a.getAttributeNS(XLINK, "title");
    const g = a.closest("g.node");
    if (tip && g && !g.hasAttribute("data-tip")) g.setAttribute("data-tip", tip);
    a.removeAttributeNS(XLINK, "title");
  });
  svg.querySelectorAll("title").forEach((t) => t.remove());
  return { nodes, edges };
}

/** Adjacency of a view from its edge list: out[id] and in[id] arrays of DOT names. */
function adjacency(view) {
  const out = new Map(), inn = new Map();
  for (const [a, b] of view.edges || []) {
    if (!out.has(a)) out.set(a, []);
    if (!inn.has(b)) inn.set(b, []);
    out.get(a).push(b);
    inn.get(b).push(a);
  }
  return { out, inn };
}

class Pane {
  constructor(title) {
    this.title = h("span", { class: "tg-pane-title" }, title);
    this.tools = h("span", { class: "tg-pane-tools" });
    this.host = h("div", { class: "tg-canvas" });
    this.el = h("section", { class: "tg-pane" }, h("header", {}, this.title, this.tools), this.host);
    this.vb = null; // current viewBox {x, y, w, h}
    this.fitted = true; // still at the fitted view (refit on resize)
    this.saved = new Map(); // viewBox per view key, to come back where we were
    this._listen();
    new ResizeObserver(() => this._resized()).observe(this.host);
  }

  /** Show a view: inject its SVG, index it, and fit it (or restore the saved viewBox). */
  show(key, view) {
    if (this.key && this.vb) this.saved.set(this.key, { vb: this.vb, fitted: this.fitted });
    this.key = key;
    this.view = view;
    this.host.innerHTML = view.svg;
    this.svg = this.host.querySelector("svg");
    const b = this.svg.viewBox.baseVal;
    this.base = { x: b.x, y: b.y, w: b.width, h: b.height };
    this.svg.removeAttribute("width");
    this.svg.removeAttribute("height");
    this.svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    Object.assign(this, indexSvg(this.svg), adjacency(view));
    const saved = this.saved.get(key);
    if (saved && !saved.fitted) { this.fitted = false; this.setVB(saved.vb); } else this.fit();
  }

  /** Pixels of the pane, and the viewBox units per pixel. */
  size() { return { cw: this.host.clientWidth || 1, ch: this.host.clientHeight || 1 }; }
  scale() { return this.vb.w / this.size().cw; }

  /** Set the viewBox, with the pane's aspect ratio (so one pixel is the same size both ways). */
  setVB({ x, y, w }) {
    const { cw, ch } = this.size();
    this.vb = { x, y, w, h: (w * ch) / cw };
    this.svg?.setAttribute("viewBox", `${x} ${y} ${this.vb.w} ${this.vb.h}`);
  }

  /** Show a box (viewBox units) whole and centred, with a margin; never zoom in past `minScale`. */
  frame(box, minScale = 0) {
    const { cw, ch } = this.size();
    const s = Math.max(box.w / cw, box.h / ch, minScale) * 1.04;
    this.setVB({ x: box.x + box.w / 2 - (cw * s) / 2, y: box.y + box.h / 2 - (ch * s) / 2, w: cw * s });
  }

  fit() { this.fitted = true; if (this.svg) this.frame(this.base); }

  _resized() {
    if (!this.svg || !this.vb) return;
    if (this.fitted) return this.fit();
    const s = this.scale(); // keep the centre and the zoom
    const cx = this.vb.x + this.vb.w / 2, cy = this.vb.y + this.vb.h / 2;
    const { cw, ch } = this.size();
    this.setVB({ x: cx - (cw * s) / 2, y: cy - (ch * s) / 2, w: cw * s });
  }

  /** Zoom by factor f around the pixel (px, py) of the pane. */
  zoomAt(f, px, py) {
    const s = this.scale(), ns = Math.min(Math.max(s * f, 0.05), this.base.w / 40 + this.base.h / 40 + 2);
    const ux = this.vb.x + px * s, uy = this.vb.y + py * s;
    this.fitted = false;
    this.setVB({ x: ux - px * ns, y: uy - py * ns, w: this.size().cw * ns });
  }

  /** A node group's box in viewBox units (from its on-screen rectangle). */
  boxOf(g) {
    const r = g.getBoundingClientRect(), p = this.host.getBoundingClientRect(), s = this.scale();
    return { x: this.vb.x + (r.left - p.left) * s, y: this.vb.y + (r.top - p.top) * s, w: r.width * s, h: r.height * s };
  }

  /** Bring these node groups into view; with `zoom`, also zoom in to a readable size when they are tiny. */
  reveal(groups, zoom = false) {
    if (!groups.length || !this.vb) return;
    const p = this.host.getBoundingClientRect();
    const rects = groups.map((g) => g.getBoundingClientRect());
    const inside = rects.every((r) => r.left >= p.left && r.right <= p.right && r.top >= p.top && r.bottom <= p.bottom);
    const readable = !zoom || rects.every((r) => r.height >= 16);
    if (inside && readable) return;
    const boxes = groups.map((g) => this.boxOf(g));
    const x0 = Math.min(...boxes.map((b) => b.x)), y0 = Math.min(...boxes.map((b) => b.y));
    const x1 = Math.max(...boxes.map((b) => b.x + b.w)), y1 = Math.max(...boxes.map((b) => b.y + b.h));
    const box = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
    const { cw, ch } = this.size();
    const need = Math.max(box.w / (0.8 * cw), box.h / (0.8 * ch));
    const s = Math.max(need, zoom ? Math.min(this.scale(), 1.2) : this.scale()); // zoom in to ~1.2 units/px at most
    this.fitted = false;
    this.setVB({ x: box.x + box.w / 2 - (cw * s) / 2, y: box.y + box.h / 2 - (ch * s) / 2, w: cw * s });
  }

  /** Pan by dragging, zoom with the wheel; a drag does not count as a click. */
  _listen() {
    let drag = null;
    this.dragged = false;
    this.host.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || !this.vb) return;
      drag = { x: e.clientX, y: e.clientY, vb: { ...this.vb }, id: e.pointerId, moving: false };
      this.dragged = false;
    });
    this.host.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moving && Math.hypot(dx, dy) < 4) return;
      if (!drag.moving) { drag.moving = true; this.host.setPointerCapture(drag.id); this.host.classList.add("tg-grabbing"); }
      const s = this.scale();
      this.fitted = false;
      this.setVB({ x: drag.vb.x - dx * s, y: drag.vb.y - dy * s, w: drag.vb.w });
    });
    const end = () => {
      if (drag?.moving) this.dragged = true;
      drag = null;
      this.host.classList.remove("tg-grabbing");
    };
    this.host.addEventListener("pointerup", end);
    this.host.addEventListener("pointercancel", end);
    this.host.addEventListener("wheel", (e) => {
      if (!this.vb) return;
      e.preventDefault();
      const p = this.host.getBoundingClientRect();
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      this.zoomAt(Math.exp(dy * 0.0015), e.clientX - p.left, e.clientY - p.top);
    }, { passive: false });
  }

  /** Remove every highlight class (and the accumulation badges) given in `classes`. */
  clear(classes) {
    if (!this.svg) return;
    for (const c of classes) this.svg.querySelectorAll("." + c).forEach((e) => e.classList.remove(c));
    this.svg.querySelectorAll(".tg-badge").forEach((b) => b.remove());
  }

  /** Add a class to the node groups with these ids; return the groups found. */
  mark(ids, cls) {
    const found = [];
    for (const id of ids) {
      const g = id && this.nodes.get(id);
      if (g) { g.classList.add(cls); found.push(g); }
    }
    return found;
  }

  markEdge(from, to, cls) {
    (this.edges.get(`${from}->${to}`) || []).forEach((g) => g.classList.add(cls));
  }

  /** A "+" badge at the top right of a node (accumulation of contributions). */
  badge(g) {
    const b = g.getBBox();
    const badge = document.createElementNS(SVGNS, "g");
    badge.setAttribute("class", "tg-badge");
    badge.innerHTML = `<circle cx="${b.x + b.width}" cy="${b.y}" r="11"/>` +
      `<text x="${b.x + b.width}" y="${b.y + 6}" text-anchor="middle">+</text>`;
    g.append(badge);
  }
}

// ---------------------------------------------------------------------------------------------
// The explorer: panes, stepper, inspector, tooltip, and the state tying them together
// ---------------------------------------------------------------------------------------------

const PATH_CLASSES = ["tg-path", "tg-selected"];
const STEP_CLASSES = ["tg-vjp", "tg-send", "tg-acc", "tg-flow"];

function createExplorer(el, scene) {
  const views = scene.views || {};
  const steps = scene.steps || [];
  const K = steps.length;
  const rootName = steps[0]?.node || (scene.title || "L").split(":")[0];
  const state = { k: 0, foldedKey: views.forward_full ? "folded" : null };

  // Numbers of backward-graph nodes, known from the steps (the drawn graph carries only text).
  const backNumbers = new Map();
  for (const st of steps) {
    const put = (id, value) => id && !backNumbers.has(id) && backNumbers.set(id, { value, k: st.k });
    put(st.adjoint.id, st.adjoint.value);
    for (const s of st.sends) { put(s.grad.id, s.grad.value); put(s.total.id, s.total.value); }
  }

  // --- the DOM skeleton ---
  const fwd = new Pane(views.forward_full ? "Forward graph · module level" : "Forward graph");
  const bwd = views.backward ? new Pane("Backward graph (as recorded)") : null;
  const foldBtn = h("button", { type: "button", class: "tg-btn", hidden: true, onclick: () => showForward("folded") }, "Fold modules");
  fwd.tools.append(foldBtn);
  const fitBtn = h("button", { type: "button", class: "tg-btn", onclick: () => { fwd.fit(); bwd?.fit(); } }, "Fit");
  const prevBtn = h("button", { type: "button", class: "tg-btn", "aria-label": "Previous step", onclick: () => setStep(state.k - 1) }, "◀ Previous step");
  const nextBtn = h("button", { type: "button", class: "tg-btn tg-primary", "aria-label": "Next step", onclick: () => setStep(state.k + 1) }, "Next step ▶");
  const slider = h("input", { type: "range", min: 0, max: K, step: 1, value: 0, "aria-label": "Backward step", class: "tg-slider" });
  slider.addEventListener("input", () => setStep(Number(slider.value)));
  // The caption starts with the "step k of K" text (its own element), then says what the step does.
  const stepText = h("b", { class: "tg-steptext" }, `step 0 of ${K}`);
  const captionText = h("span", {});
  const caption = h("div", { class: "tg-caption", "aria-live": "polite" }, stepText, captionText);
  const stepper = h("div", { class: "tg-stepper" }, prevBtn, nextBtn, slider);
  const inspector = h("aside", { class: "tg-inspector", role: "region", "aria-label": "Inspector" });
  const tip = h("div", { class: "tg-tip tg-tooltip", role: "tooltip", hidden: true });
  const legendRow = h("div", { class: "tg-keys" },
    h("span", { class: "tg-key tg-key-path" }, "selected path"),
    K ? h("span", { class: "tg-key tg-key-vjp" }, "VJP runs / adjoint") : null,
    K ? h("span", { class: "tg-key tg-key-send" }, "gradient sent") : null,
    K ? h("span", { class: "tg-key tg-key-acc" }, "+ accumulated") : null);
  const main = h("div", { class: "tg-main", style: `--tg-panes: ${bwd ? 2 : 1}` }, fwd.el, bwd?.el, inspector);
  const root = h("div", { class: "tg-explorer", tabindex: 0 },
    h("div", { class: "tg-head" }, h("h3", { class: "tg-title" }, scene.title || "tracegrad"), fitBtn),
    K ? stepper : null, K ? caption : null, legendRow, main, tip);
  if (el.id === "tracegrad-explorer") root.classList.add("tg-page"); // the standalone page: use the window
  el.replaceChildren(root);

  // --- forward pane: module level <-> every op ---
  function showForward(mode, module) {
    const full = mode === "full" && views.forward_full;
    fwd.show(full ? "full" : "folded", full ? views.forward_full : views.forward);
    fwd.title.textContent = !views.forward_full ? "Forward graph"
      : full ? "Forward graph · every op" : "Forward graph · module level (click a module to expand)";
    foldBtn.hidden = !full;
    state.foldedKey = full ? "full" : views.forward_full ? "folded" : null;
    tip.hidden = true;
    if (full && module) zoomToCluster(module);
    applyStep(!module); // keep the module's cluster in view
  }

  /** After expanding: zoom to the dashed cluster of the clicked module (its label ends with its path). */
  function zoomToCluster(module) {
    for (const c of fwd.svg.querySelectorAll("g.cluster")) {
      const label = c.querySelector("text")?.textContent || "";
      if (label === module || label.endsWith("." + module)) { fwd.fitted = false; fwd.frame(fwd.boxOf(c)); return; }
    }
  }

  // --- module level: the box of the folded graph that stands for a node of the full graph ---
  let foldMap = null;
  function forwardId(id) {
    if (!id || state.foldedKey !== "folded" || views.forward.nodes?.[id]) return id;
    foldMap ??= buildFoldMap();
    return foldMap.get(id) ?? null;
  }

  /** Steps name nodes of the full graph. A node inside a module's dashed cluster (by position in the
   *  full SVG) maps to that module's box; a node outside every cluster to the one collapsed chain box. */
  function buildFoldMap() {
    const map = new Map(), folded = views.forward.nodes || {}, full = views.forward_full;
    const modules = Object.entries(folded).filter(([, n]) => n.kind === "module");
    const chains = Object.keys(folded).filter((id) => folded[id].kind !== "module" && !full.nodes[id]);
    const doc = new DOMParser().parseFromString(full.svg, "image/svg+xml");
    const numbersIn = (e) => (e?.getAttribute("d") || e?.getAttribute("points") || "").match(/-?\d+(\.\d+)?/g)?.map(Number) || [];
    const clusters = [];
    for (const c of doc.querySelectorAll("g.cluster")) {
      const label = c.querySelector("text")?.textContent || "";
      const mod = modules.find(([, n]) => label === n.module || label.endsWith("." + n.module));
      const v = numbersIn(c.querySelector("path, polygon"));
      if (!mod || !v.length) continue;
      const xs = v.filter((_, i) => i % 2 === 0), ys = v.filter((_, i) => i % 2 === 1);
      const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      clusters.push({ id: mod[0], box, area: (box[2] - box[0]) * (box[3] - box[1]) });
    }
    clusters.sort((a, b) => a.area - b.area); // innermost first
    for (const g of doc.querySelectorAll("g.node")) {
      const id = g.getAttribute("data-id");
      const t = g.querySelector("text");
      if (folded[id] || !t) continue;
      const x = Number(t.getAttribute("x")), y = Number(t.getAttribute("y"));
      const c = clusters.find(({ box }) => x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]);
      if (c) map.set(id, c.id);
      else if (chains.length === 1) map.set(id, chains[0]);
    }
    return map;
  }

  // --- hover: a tooltip near the cursor ---
  function tipFor(pane, g) {
    const id = g.getAttribute("data-id");
    const n = pane.view.nodes?.[id] || {};
    const rows = [h("div", { class: "tg-tip-name" }, n.name || g.getAttribute("data-name") || id)];
    if (n.op || n.shape?.length) rows.push(h("div", {}, [n.op && `op ${n.op}`, `shape ${shapeText(n.shape)}`].filter(Boolean).join(" · ")));
    const show = (label, v) => rows.push(h("div", { class: "tg-tip-row" }, h("b", {}, label + " "),
      !v.grid ? `rms ${fmt(v.rms)} · min ${fmt(v.min)} · max ${fmt(v.max)}`
        : v.grid.flat().length > 1 ? gridTable(v) : numText(v, 1)));
    if (n.value) show("value", n.value);
    if (n.grad) show("grad", n.grad);
    const back = pane === bwd && backNumbers.get(id);
    if (back) show(`value (step ${back.k})`, back.value);
    if (!n.value && !back && g.getAttribute("data-tip")) rows.push(h("div", { class: "tg-muted" }, g.getAttribute("data-tip")));
    if (n.kind === "module") rows.push(h("div", { class: "tg-muted" }, "click to expand this module"));
    return rows;
  }

  function hover(pane) {
    let current = null;
    pane.host.addEventListener("pointermove", (e) => {
      const g = e.buttons ? null : e.target.closest?.("g.node");
      if (!g) { current = null; tip.hidden = true; return; }
      if (g !== current) { current = g; tip.replaceChildren(...tipFor(pane, g)); tip.hidden = false; }
      const r = root.getBoundingClientRect();
      const x = Math.min(e.clientX - r.left + 16, r.width - tip.offsetWidth - 4);
      tip.style.left = `${Math.max(0, x)}px`;
      tip.style.top = `${e.clientY - r.top + 16}px`;
    });
    pane.host.addEventListener("pointerleave", () => { current = null; tip.hidden = true; });
  }

  // --- click: inspector and the paths from the node to the root ---
  function clickable(pane) {
    pane.host.addEventListener("click", (e) => {
      if (pane.dragged) { pane.dragged = false; return; }
      const g = e.target.closest?.("g.node");
      const id = g?.getAttribute("data-id");
      const n = id && pane.view.nodes?.[id];
      if (n?.kind === "module" && pane === fwd && views.forward_full) {
        showForward("full", n.module);
        inspect(fwd, id, n);
        return;
      }
      selectPath(pane, id);
      if (id) inspect(pane, id, n || {});
    });
  }

  /** Every node and edge on a path from `id` to the root (the nodes without outgoing edges). */
  function selectPath(pane, id) {
    for (const p of [fwd, bwd]) if (p) { p.clear(PATH_CLASSES); p.svg?.classList.remove("tg-dim"); }
    if (!id) return;
    const seen = new Set([id]), todo = [id];
    while (todo.length) {
      const a = todo.pop();
      for (const b of pane.out.get(a) || []) {
        pane.markEdge(a, b, "tg-path");
        if (!seen.has(b)) { seen.add(b); todo.push(b); }
      }
    }
    pane.mark(seen, "tg-path");
    pane.mark([id], "tg-selected");
    pane.svg.classList.add("tg-dim");
  }

  /** Fill the inspector with one node: numbers, its op's rule, the chain rule at that node. */
  function inspect(pane, id, n) {
    const parts = [h("h4", {}, n.name || id)];
    const meta = [n.kind && n.kind !== "value" && n.kind, n.op && `op ${n.op}`, n.shape?.length !== undefined && `shape ${shapeText(n.shape)}`,
      pane === bwd ? "backward graph" : "forward graph"].filter(Boolean);
    parts.push(h("div", { class: "tg-meta" }, meta.join(" · ")));
    if (n.kind === "module") parts.push(h("p", {}, `Module ${n.module}: expanded in the forward pane (dashed cluster). "Fold modules" folds it back.`));
    let rule = n.rule;
    if (!rule && n.kind === "op") { // an op oval: the rule sits on the box it produces
      const outId = (pane.out.get(id) || [])[0];
      rule = pane.view.nodes?.[outId]?.rule;
    }
    if (n.value) parts.push(h("h5", {}, "value"), numbersView(n.value));
    if (n.grad) parts.push(h("h5", {}, `gradient d${rootName}/d${n.name}`), numbersView(n.grad));
    const back = pane === bwd && backNumbers.get(id);
    if (back) parts.push(h("h5", {}, `value (computed at step ${back.k})`), numbersView(back.value));
    if (!n.value && !back && pane.nodes.get(id)?.getAttribute("data-tip")) parts.push(h("p", { class: "tg-muted" }, pane.nodes.get(id).getAttribute("data-tip")));
    if (rule) parts.push(h("h5", {}, "rule of the op (VJP)"), h("code", { class: "tg-rule" }, rule));
    if (n.local?.length) {
      parts.push(h("h5", {}, "local derivatives"),
        ...n.local.map((l) => h("p", { class: "tg-chain" }, `d${n.name}/d${l.input} = ${fmt(l.value)}`)));
    }
    if (n.chain) {
      const terms = n.chain.terms.map((t) => `${t.from} sends ${numText(t.value)}`).join(" + ");
      parts.push(h("h5", {}, "chain rule at this node"),
        h("p", { class: "tg-chain" }, `d${rootName}/d${n.name} = ${terms} = ${numText(n.chain.total)}`));
    }
    inspector.replaceChildren(...parts);
  }

  // --- the backward stepper ---
  function setStep(k) {
    state.k = Math.max(0, Math.min(K, k));
    selectPath(fwd, null); // the stepper's colours alone, without a selected path
    applyStep();
  }

  /** Highlight step k in both panes and write its caption. */
  function applyStep(follow = true) {
    if (!K) return;
    const k = state.k, st = steps[k - 1];
    slider.value = String(k);
    stepText.textContent = `step ${k} of ${K}`;
    prevBtn.disabled = k === 0;
    nextBtn.disabled = k === K;
    fwd.clear(STEP_CLASSES);
    bwd?.clear(STEP_CLASSES);
    if (!st) { captionText.replaceChildren(h("span", { class: "tg-muted" }, ` · press "Next step" (or →) to run the backward pass one VJP at a time, in the order the engine ran it`)); return; }
    // forward: the node whose VJP runs (green), its inputs (purple) and the edges in between
    const at = forwardId(st.node_id);
    const fg = fwd.mark([at], "tg-vjp");
    const ops = (fwd.inn.get(at) || []).filter((o) => fwd.view.nodes?.[o]?.kind === "op");
    for (const o of ops) { fwd.markEdge(o, at, "tg-flow"); fwd.mark([o], "tg-flow"); }
    for (const s of st.sends) {
      const to = forwardId(s.to_id);
      if (to === at) continue; // inside the same module box
      fg.push(...fwd.mark([to], "tg-send"));
      for (const o of ops) fwd.markEdge(to, o, "tg-flow");
      fwd.markEdge(to, at, "tg-flow");
    }
    if (follow) fwd.reveal(fg);
    // backward: the adjoint (green), the sent gradients (purple), accumulated totals (+ badge)
    if (bwd) {
      const bg = bwd.mark([st.adjoint.id], "tg-vjp");
      for (const s of st.sends) {
        if (s.grad.id !== st.adjoint.id) {
          bg.push(...bwd.mark([s.grad.id], "tg-send"));
          for (const p of bwd.inn.get(s.grad.id) || []) {
            bwd.markEdge(p, s.grad.id, "tg-flow");
            if (bwd.view.nodes?.[p]?.kind !== "op") continue; // the op computing it, and its operands
            bwd.mark([p], "tg-flow");
            for (const q of bwd.inn.get(p) || []) bwd.markEdge(q, p, "tg-flow");
          }
        }
        if (s.accumulated) {
          const t = bwd.mark([s.total.id], "tg-acc");
          t.forEach((g) => bwd.badge(g));
          bg.push(...t);
        }
      }
      bwd.reveal(bg, true); // the backward graph of a big model is tall: follow the step
    }
    captionText.replaceChildren(...captionOf(st));
  }

  /** "step 2 of 5: tanh's VJP runs for tanh4; the adjoint ... = 1 arrives; it sends 0.8512 to tanh3". */
  function captionOf(st) {
    const sends = st.sends.map((s) => `${numText(s.grad.value)} to ${s.to}` +
      (s.accumulated ? ` (+ accumulated: ${s.to}'s total is now ${numText(s.total.value)})` : ""));
    const text = `: ${st.op}'s VJP runs for ${st.node}; the adjoint ${st.adjoint.name} = ` +
      `${numText(st.adjoint.value)} arrives; ` + (sends.length ? `it sends ${sends.join(" and ")}` : "no input needs a gradient");
    const out = [h("span", {}, text)];
    if (st.k === K) {
      out.push(h("span", { class: "tg-result" }, scene.result
        ? ` ⇒ result: ${scene.result.name} = ${numText(scene.result.value, 9, fmt5)}`
        : " ⇒ backward pass done: every gradient is computed"));
    }
    return out;
  }

  // --- wiring ---
  for (const p of [fwd, bwd]) if (p) { hover(p); clickable(p); }
  root.addEventListener("keydown", (e) => {
    if (e.target === slider || !K) return; // the slider steps by itself
    if (e.key === "ArrowRight") { setStep(state.k + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { setStep(state.k - 1); e.preventDefault(); }
  });
  inspector.replaceChildren(h("p", { class: "tg-muted" },
    "Click a node to inspect it: its value and gradient, the rule of its op, and the chain rule at that node with numbers. " +
    "Drag to pan, scroll to zoom."));
  showForward("folded");
  if (bwd) bwd.show("backward", views.backward);
  applyStep();
  return { destroy: () => root.remove() };
}

export default {
  render({ model, el }) {
    let app = null;
    const draw = () => {
      app?.destroy();
      let scene;
      try { scene = JSON.parse(model.get("scene") || "{}"); } catch (err) { scene = { title: `bad scene: ${err}` }; }
      if (!scene.views?.forward) { el.textContent = "tracegrad explorer: nothing to show"; return; }
      app = createExplorer(el, scene);
    };
    draw();
    model.on?.("change:scene", draw);
    return () => { model.off?.("change:scene", draw); app?.destroy(); };
  },
};
