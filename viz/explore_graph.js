// tracegrad explorer, part 2 of 3: a graph pane. Indexing Graphviz's SVG (node groups by DOT name,
// edge groups by "from->to"), a view's adjacency, and the Pane class (fit, pan, zoom, highlights).
//
// Not a module by itself: viz/explorer.py joins explore_numbers.js, explore_graph.js and explore.js, in
// that order (JS_PARTS), into one ES module; this part uses h() from explore_numbers.js.

const XLINK = "http://www.w3.org/1999/xlink";
const SVGNS = "http://www.w3.org/2000/svg";

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
