// tracegrad explorer, part 1 of 3: small helpers (DOM building, number formatting) and the number
// views of the inspector (a small tensor's grid as a table, 2-d maps as heatmaps on canvases).
//
// Not a module by itself: viz/explorer.py joins explore_numbers.js, explore_graph.js and explore.js, in
// that order (JS_PARTS), into one ES module; the parts share their top-level names and import nothing.

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
