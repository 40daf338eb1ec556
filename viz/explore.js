// tracegrad explorer, part 3 of 3: the explorer itself (forward and backward panes, the inspector,
// tooltips, the backward-pass stepper) and the module's default export, render({ model, el }).
//
// It works in two hosts:
//   * anywidget (Jupyter): `render({ model, el })`, the synced traitlet "scene" holds the JSON string;
//   * the standalone page written by viz/explorer.py (same call, a fake model).
// Python lays out every graph (Graphviz SVG) and computes every number; this code only shows them.
// The data contract ("scene") is the docstring of viz/explorer.py.
//
// One hand-written ES module in three files (no build step, no libraries): viz/explorer.py joins
// explore_numbers.js, explore_graph.js and this file, in that order (JS_PARTS), into one module string.
// This part uses the helpers and number views of part 1 and the Pane of part 2, and is the only part
// with an export.

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
