"use strict";
// Draws the embedded variants and links the highlighting.  All indices
// (taps, windows, which input a padded cell reads), all numbers (x, y = A x,
// the sums) and every position and size come from the Python builders in
// the data; this script only draws at the given pixels and looks things up.
(function () {
  const D = JSON.parse(document.getElementById("tcx-data").textContent);
  const W = D.weights, K = D.kernel, MINF = D.min_font;
  const el = (id) => document.getElementById(id);
  const root = el("tcx");
  const HINT = "Point at (or Tab to, or tap) a matrix cell, an output, an input or a weight; " +
               "arrow keys move, Escape clears.";
  const sel = {};
  D.axes.forEach((a, i) => { sel[a.name] = D.initial.split("|")[i]; });
  let V = null;       // the current variant
  let look = null;    // lookups built from its taps
  let idx = null;     // drawn elements by index: the highlighting never searches the DOM
  let N = null;       // its numbers (x, y, sums) or null
  // A narrow window gets the narrow layout (computed in Python like the wide
  // one): panels stacked, drawn at their own pixel size so text never drops
  // below D.min_font, a panel too wide for the window scrolling in its box.
  const NARROW = window.matchMedia ?
    window.matchMedia(`(max-width: ${D.variants[D.initial].narrow.below}px)`) : null;
  const narrow = () => !!(NARROW && NARROW.matches);
  const lay = (v) => (narrow() ? v.narrow : v);

  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
  const keyOf = (s) => D.axes.map((a) => s[a.name]).join("|");
  const list = (items, most) => (items.length > most ?
    items.slice(0, most).join(", ") + `, … (${items.length} in all)` : items.join(", "));

  function controls() {
    let h = "";
    for (const a of D.axes) {
      h += `<div class="axis" role="group" aria-label="${esc(a.label)}">` +
           `<span class="axis-name">${esc(a.label)}</span>`;
      for (const v of a.values) {
        h += `<button type="button" aria-pressed="false" data-axis="${esc(a.name)}"` +
             ` data-value="${esc(v.value)}">${esc(v.label)}</button>`;
      }
      h += "</div>";
    }
    const box = el("tcx-controls");
    box.innerHTML = h;
    box.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-axis]");
      if (!b) return;
      sel[b.dataset.axis] = b.dataset.value;
      draw();
    });
  }

  function markButtons() {
    for (const b of el("tcx-controls").querySelectorAll("button")) {
      const s = Object.assign({}, sel, { [b.dataset.axis]: b.dataset.value });
      const on = sel[b.dataset.axis] === b.dataset.value;
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      const k = keyOf(s);
      b.classList.toggle("na", !(k in D.variants));
      b.title = k in D.variants ? D.variants[k].title : (D.unavailable[k] || "");
    }
  }

  function buildLookups(v) {
    const cells = new Map();         // "r,c" -> weight indices
    const byW = new Map(), byRow = new Map(), byCol = new Map();
    for (const [r, c, w] of v.taps) {
      const k = r + "," + c;
      if (!cells.has(k)) cells.set(k, []);
      cells.get(k).push(w);
      if (!byW.has(w)) byW.set(w, []);
      byW.get(w).push([r, c]);
      if (!byRow.has(r)) byRow.set(r, []);
      byRow.get(r).push([c, w]);
      if (!byCol.has(c)) byCol.set(c, []);
      byCol.get(c).push([r, w]);
    }
    // keyboard order: the stored entries of each row, rows that have any
    const rowCols = new Map();
    for (const [r, cw] of byRow) rowCols.set(r, Array.from(new Set(cw.map((p) => p[0]))).sort((a, b) => a - b));
    const rows = Array.from(rowCols.keys()).sort((a, b) => a - b);
    return { cells, byW, byRow, byCol, rowCols, rows };
  }

  // ------------------------------------------------------------------ drawing
  // A cell: a <g> with its kind and indices, its box (for the selection
  // rings), a fill and an optional label no smaller than D.min_font.
  function cellSvg(kind, attrs, x, y, w, h, fill, label, fontPx, textFill, extra) {
    let a = "";
    for (const [k, val] of Object.entries(attrs)) a += ` data-${k}="${esc(val)}"`;
    let s = `<g data-kind="${kind}"${a} data-box="${x},${y},${w},${h}"${extra || ""}>`;
    s += `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
    // shrink a label to fit its cell (monospace: ~0.62 em per character), or drop it
    const fit = label ? Math.min(fontPx, Math.floor((w - 2) / (0.62 * String(label).length))) : 0;
    if (label !== null && label !== "" && fit >= MINF) {
      s += `<text x="${x + w / 2}" y="${y + h / 2}" font-size="${fit}"` +
           ` fill="${textFill || "#222"}">${esc(label)}</text>`;
    }
    return s + "</g>";
  }
  const FOCUSABLE = ' tabindex="-1"';

  // An SVG that scales down with the window (never up): the drawing's own
  // pixel size is its viewBox and its largest width.  The selection rings go
  // on an identical SVG laid over it in a compositing layer of its own, so
  // a hover repaints a few outlines, not every cell of a 400 x 400 matrix.
  function svg(id, w, h, body, cls, ring) {
    const box = `viewBox="0 0 ${w} ${h}" ` + (narrow() ? `width="${w}" height="${h}"` :
                `width="100%" style="max-width:${w}px"`) + ` preserveAspectRatio="xMinYMin meet"`;
    return `<div class="stack"><svg id="${id}" ${box} data-ring="${ring.join(",")}"` +
           `${cls ? ` class="${cls}"` : ""}>${body}</svg>` +
           `<svg class="overlay" aria-hidden="true" ${box}><g class="rings"></g></svg></div>`;
  }
  // A panel is as wide as its drawing, and shrinks (never grows) with the window;
  // the kernel and the input/output grids share the left column.
  function sizePanel(id, width) {
    const p = el(id).parentNode.closest(".panel");
    const w = p.id === "tcx-left" ? V.left_width : width;
    p.style.flexBasis = narrow() ? "auto" : w + "px";
    p.style.maxWidth = narrow() ? "100%" : w + "px";
  }

  function drawKernel(v) {
    const c = K.cell;
    let s = "";
    const flip = v.flip && K.flip_at.length > 0;
    for (const [x, y, text] of K.captions.slice(0, flip ? 2 : 1)) {
      s += `<text class="cap" x="${x}" y="${y}">${esc(text)}</text>`;
    }
    const one = (kind, at, i) => {
      const [x, y] = at[i];
      let g = cellSvg(kind, { w: i }, x, y, c, c, W.colors[i], null, 0, null, FOCUSABLE);
      g = g.slice(0, -4);     // keep the group open for the two labels
      g += `<text x="${x + c / 2}" y="${y + 12}" font-size="13" fill="${W.text[i]}">${esc(W.names[i])}</text>`;
      g += `<text x="${x + c / 2}" y="${y + 29}" font-size="13" fill="${W.text[i]}">${esc(W.values[i])}</text>`;
      return g + "</g>";
    };
    W.names.forEach((_, i) => { s += one("weight", K.at, i); });
    if (flip) W.names.forEach((_, i) => { s += one("wflip", K.flip_at, i); });
    const h = flip ? K.height : K.height_one;
    el("tcx-kernel").innerHTML = svg("tcx-kernel-svg", K.width, h, s, "", K.ring);
    sizePanel("tcx-kernel", K.width);
  }

  function drawNatural(v) {
    const L = lay(v).natural, c = L.cell, font = L.font;
    let s = "";
    for (const [x, y, text, anchor] of L.captions) {
      s += `<text class="cap" style="text-anchor:${anchor}" x="${x}" y="${y}">${esc(text)}</text>`;
    }
    v.grid.forEach(([ch, ...rest], i) => {
      const nd = v.nd, p = rest.slice(0, nd);
      const [col, inside, label] = rest.slice(nd);
      const attrs = { ch: ch, p: p.join(",") };
      const [x, y] = L.grid[i];
      if (inside) {
        attrs.col = col;
        s += cellSvg("in", attrs, x, y, c, c, "#ffffff", N ? N.x[col] : label, font, "#222", FOCUSABLE);
      } else {
        attrs.src = col;
        const mapped = col >= 0;
        const text = N ? (mapped ? N.x[col] : "0") : label;
        s += cellSvg("pad", attrs, x, y, c, c, D.pad_color, text, font,
                     mapped ? "#555" : "#444", mapped ? ' class="mapped"' : "");
      }
    });
    L.outs.forEach(([x, y], r) => {
      s += cellSvg("out", { row: r }, x, y, c, c, "#ffffff", N ? N.y[r] : v.out_short[r], font,
                   "#222", FOCUSABLE);
    });
    el("tcx-natural").innerHTML = svg("tcx-natural-svg", L.width, L.height, s, "", L.ring);
    sizePanel("tcx-natural", L.width);
  }

  function drawMatrix(v) {
    const L = lay(v).matrix, cs = L.cell, X = L.x, Y = L.y;
    const x0 = X[0], y0 = Y[0];
    const parts = [];
    // the input vector above the columns
    for (let c = 0; c < v.n; c++) {
      parts.push(cellSvg("in", { col: c }, X[c], L.in_y, cs - 1, cs - 1, "#ffffff",
                         L.vec_font ? (N ? N.x[c] : v.col_short[c]) : null, L.vec_font, "#222", FOCUSABLE));
    }
    // background of the structurally zero cells, with a light grid when cells are large enough
    parts.push(`<rect x="${x0}" y="${y0}" width="${L.right - x0}" height="${L.bottom - y0}" fill="${D.zero_color}" class="frame"/>`);
    if (!L.small) {
      for (let r = 1; r < v.m; r++) parts.push(`<line class="gridline" x1="${x0}" x2="${L.right}" y1="${Y[r]}" y2="${Y[r]}"/>`);
      for (let c = 1; c < v.n; c++) parts.push(`<line class="gridline" y1="${y0}" y2="${L.bottom}" x1="${X[c]}" x2="${X[c]}"/>`);
    }
    // stored entries, one group per (row, col); several tied weights = stripes
    for (const [k, ws] of look.cells) {
      const [r, c] = k.split(",").map(Number);
      const x = X[c], y = Y[r];
      let g = `<g data-kind="cell" data-row="${r}" data-col="${c}" data-w="${ws.join(" ")}" data-box="${x},${y},${cs - 1},${cs - 1}"${FOCUSABLE}>`;
      const sw = (cs - 1) / ws.length;
      ws.forEach((w, i) => {
        g += `<rect x="${x + i * sw}" y="${y}" width="${sw}" height="${cs - 1}" fill="${W.colors[w]}"/>`;
      });
      if (L.cell_font) {
        const lab = ws.length === 1 ? W.names[ws[0]] : "Σ";
        g += `<text x="${x + cs / 2}" y="${y + cs / 2}" font-size="${L.cell_font}" fill="${ws.length === 1 ? W.text[ws[0]] : "#000"}">${lab}</text>`;
      }
      parts.push(g + "</g>");
    }
    // the doubly block structure (2-D) and the channel blocks, labelled (c_out, c_in)
    for (const [x, y, w, h] of L.sub) parts.push(`<rect class="sub" x="${x}" y="${y}" width="${w}" height="${h}"/>`);
    for (const [x, y, w, h] of L.blocks) parts.push(`<rect class="block" x="${x}" y="${y}" width="${w}" height="${h}"/>`);
    L.block_at.forEach(([x, y], i) => {
      parts.push(`<text class="blocklab" x="${x}" y="${y}">${esc(v.block_labels[i])}</text>`);
    });
    // the output vector to the right of the rows
    for (let r = 0; r < v.m; r++) {
      parts.push(cellSvg("out", { row: r }, L.out_x, Y[r], cs - 1, cs - 1, "#ffffff",
                         L.vec_font ? (N ? N.y[r] : v.row_short[r]) : null, L.vec_font, "#222", FOCUSABLE));
      if (L.labels) parts.push(`<text class="idx" x="${L.idx_x}" y="${Y[r] + cs / 2}">${r}</text>`);
    }
    if (L.labels) {
      for (let c = 0; c < v.n; c++) parts.push(`<text class="idx" x="${X[c] + cs / 2}" y="${L.idx_y}">${c}</text>`);
      parts.push(`<text class="cap" x="${L.cap_x[0]}" y="${L.cap_x[1]}">x</text>`);
      parts.push(`<text class="cap" x="${L.cap_y[0]}" y="${L.cap_y[1]}">y</text>`);
    }
    el("tcx-matrix").innerHTML = svg("tcx-matrix-svg", L.width, L.height, parts.join(""),
                                     L.small ? "small" : "", L.ring);
    sizePanel("tcx-matrix", L.width);
  }

  function index(v) {
    const q = (s) => root.querySelectorAll(s);
    const byAttr = (nodes, attr, n) => {
      const out = Array.from({ length: n }, () => []);
      for (const e of nodes) out[+e.dataset[attr]].push(e);
      return out;
    };
    const I = {
      cells: new Map(),
      nIn: new Array(v.n), mIn: new Array(v.n), nOut: new Array(v.m), mOut: new Array(v.m),
      nat: new Map(), weight: new Array(W.names.length), wflip: byAttr(q("#tcx-kernel-svg [data-kind=wflip]"), "w", W.names.length),
      rings: new Map(),
    };
    for (const e of q("#tcx-matrix-svg [data-kind=cell]")) I.cells.set(e.dataset.row + "," + e.dataset.col, e);
    for (const e of q("#tcx-matrix-svg [data-kind=in]")) I.mIn[+e.dataset.col] = e;
    for (const e of q("#tcx-matrix-svg [data-kind=out]")) I.mOut[+e.dataset.row] = e;
    for (const e of q("#tcx-natural-svg [data-kind=out]")) I.nOut[+e.dataset.row] = e;
    for (const e of q("#tcx-natural-svg [data-p]")) {
      I.nat.set(e.dataset.ch + "|" + e.dataset.p, e);
      if (e.dataset.kind === "in") I.nIn[+e.dataset.col] = e;
    }
    for (const e of q("#tcx-kernel-svg [data-kind=weight]")) I.weight[+e.dataset.w] = e;
    for (const s of q("svg[data-ring]")) {
      I.rings.set(s, { layer: s.parentNode.querySelector(".rings"), w: s.dataset.ring.split(",").map(Number), html: newLayers() });
    }
    // keyboard groups: each one tab stop, the arrows move inside (steps from Python)
    const groups = [
      ["kernel", I.weight, K.cols], ["nin", I.nIn, v.nav.in_row], ["nout", I.nOut, v.nav.out_row],
      ["min", I.mIn, -1], ["mout", I.mOut, -2],
    ];
    I.groups = {};
    for (const [name, items, step] of groups) {
      const its = items.filter((e) => e);
      I.groups[name] = { items: its, step: step };
      its.forEach((e, i) => { e.dataset.grp = name; e.dataset.i = i; });
      if (its.length) its[0].setAttribute("tabindex", "0");
    }
    const first = look.rows.length ? I.cells.get(look.rows[0] + "," + look.rowCols.get(look.rows[0])[0]) : null;
    if (first) first.setAttribute("tabindex", "0");
    return I;
  }

  function draw() {
    clear();
    markButtons();
    root.classList.toggle("narrow", narrow());
    const k = keyOf(sel);
    V = D.variants[k] || null;
    if (!V) {
      el("tcx-title").textContent = "(unavailable)";
      el("tcx-info").textContent = D.unavailable[k] || "this combination is not available";
      for (const id of ["tcx-natural", "tcx-matrix"]) el(id).innerHTML = "";
      root.dataset.variant = "";
      idx = null;
      return;
    }
    N = V.numbers;
    look = buildLookups(V);
    el("tcx-title").textContent = V.title;
    el("tcx-info").textContent = HINT;
    drawKernel(V);
    drawNatural(V);
    drawMatrix(V);
    idx = index(V);
    root.dataset.variant = k;
    if (window.frameElement) {
      try { window.frameElement.style.height = (document.documentElement.scrollHeight + 8) + "px"; }
      catch (e) { /* a cross-origin host: keep its height */ }
    }
  }

  // ------------------------------------------------------------------ highlighting
  // State is classes on the drawn groups (at: what is pointed at; focus,
  // hl, tied, win, src: what it links to); what shows is a double outline,
  // black outside and white inside, drawn in each SVG's ring layer, so
  // it reads on every fill colour.  Weight colours are only ever fills.
  let marked = [];
  function clear() {
    for (const [e, c] of marked) e.classList.remove(c);
    marked = [];
    if (idx) for (const r of idx.rings.values()) { r.layer.innerHTML = ""; r.html = newLayers(); }
    root.classList.remove("active");
  }
  // per class: ring width factor, ring style; drawn weakest first, the pointed-at ring on top.
  // All rings of one style are one <path> (outer) plus one (inner): a hover
  // over a 400 x 400 matrix adds a handful of elements, not thousands.
  const RING = { at: [1.6, "ring-at"], focus: [1.6, "ring-at"], hl: [1, "ring-hl"],
                 tied: [0.8, "ring-tied"], win: [1, "ring-hl"], src: [0.8, "ring-src"] };
  const LAYERS = ["ring-src", "ring-tied", "ring-hl", "ring-at"];
  const SCALE = { "ring-src": 0.8, "ring-tied": 0.8, "ring-hl": 1, "ring-at": 1.6 };
  function newLayers() {
    const o = { tag: [] };
    for (const k of LAYERS) o[k] = { out: [], in: [] };
    return o;
  }
  const rectPath = (x, y, w, h) => `M${x} ${y}h${w}v${h}h${-w}Z`;
  function mark(e, c) {
    if (!e) return;
    e.classList.add(c);
    marked.push([e, c]);
    const svgEl = e.ownerSVGElement, r = svgEl && idx.rings.get(svgEl);
    if (!r) return;
    const [x, y, w, h] = e.dataset.box.split(",").map(Number);
    const [scale, cls] = RING[c];
    const d = (r.w[0] + r.w[1]) * scale / 2;
    r.html[cls].out.push(rectPath(x, y, w, h));
    r.html[cls].in.push(rectPath(x + d, y + d, w - 2 * d, h - 2 * d));
  }
  // The weight that meets an input of a pointed-at output's window: named
  // above the cell (1-D, tag_dy < 0) or on a white label inside it (2-D, tag_dy 0).
  function tag(e, text) {
    const svgEl = e.ownerSVGElement, r = idx.rings.get(svgEl), dy = lay(V).natural.tag_dy;
    if (!r) return;
    const [x, y, w, h] = e.dataset.box.split(",").map(Number);
    if (dy) {
      r.html.tag.push(`<text class="tag" x="${x + w / 2}" y="${y + dy}">${esc(text)}</text>`);
    } else {
      r.html.tag.push(`<rect class="tagbg" x="${x + 2}" y="${y + h / 4}" width="${w - 4}" height="${h / 2}"/>` +
                      `<text class="tag" x="${x + w / 2}" y="${y + h / 2}">${esc(text)}</text>`);
    }
  }
  function flush() {
    for (const r of idx.rings.values()) {
      let h = "";
      for (const k of LAYERS) {
        const p = r.html[k];
        if (!p.out.length) continue;
        h += `<path class="${k}" stroke-width="${r.w[0] * SCALE[k]}" d="${p.out.join("")}"/>` +
             `<path class="ring-in" stroke-width="${r.w[1] * SCALE[k]}" d="${p.in.join("")}"/>`;
      }
      r.layer.innerHTML = h + r.html.tag.join("");
    }
    // fading the unlinked cells restyles every cell: only where cells are large (and few)
    if (!lay(V).matrix.small) root.classList.add("active");
  }
  const inEls = (c) => [idx.nIn[c], idx.mIn[c]];
  const outEls = (r) => [idx.nOut[r], idx.mOut[r]];
  const wEls = (w) => [idx.weight[w], idx.wflip[w][0]];
  const names = (ws) => ws.map((w) => W.names[w]).join(" + ");
  const xName = (c) => V.col_labels[c] + (N ? ` (= ${N.x[c]})` : "");
  const yName = (r) => V.row_labels[r] + (N ? ` (= ${N.y[r]})` : "");

  function onCell(r, c) {
    const ws = look.cells.get(r + "," + c);
    for (const w of ws) {
      for (const [rr, cc] of look.byW.get(w)) mark(idx.cells.get(rr + "," + cc), "tied");
      for (const e of wEls(w)) mark(e, "hl");
    }
    mark(idx.cells.get(r + "," + c), "focus");
    for (const e of inEls(c)) mark(e, "hl");
    for (const e of outEls(r)) mark(e, "hl");
    const vals = ws.map((w) => W.values[w]);
    el("tcx-info").textContent = `A[${r}, ${c}] = ${names(ws)} = ${vals.join(" + ")}:` +
      ` weight ${ws.map((w) => W.index[w]).join(", ")} multiplies input ${xName(c)} into output ${yName(r)}` +
      (ws.length > 1 ? " (the padding reads this input more than once)" : "") +
      (N ? `; ${V.row_labels[r]} = ${N.sums[r]}` : "");
  }

  function onOut(r) {
    for (const e of outEls(r)) mark(e, "hl");
    const used = new Set(), cols = [];
    for (const [c, w] of look.byRow.get(r) || []) {
      mark(idx.cells.get(r + "," + c), "hl");
      for (const e of inEls(c)) mark(e, "hl");
      used.add(w);
      cols.push(c);
    }
    for (const w of used) for (const e of wEls(w)) mark(e, "hl");
    const nd = V.nd;
    let padded = 0, mapped = 0;
    for (const e of V.win[r]) {
      const ch = e[0], p = e.slice(1, 1 + nd).join(","), src = e[1 + nd], w = e[2 + nd];
      const g = idx.nat.get(ch + "|" + p);
      if (!g) continue;
      mark(g, "win");
      tag(g, W.names[w]);
      if (g.dataset.kind === "pad") {
        padded++;
        if (src >= 0) { mapped++; mark(idx.nIn[src], "src"); }
      }
    }
    const inputs = Array.from(new Set(cols)).sort((a, b) => a - b).map((c) => V.col_labels[c]);
    el("tcx-info").textContent = (N ? `${V.row_labels[r]} = ${N.sums[r]}: ` : `${V.row_labels[r]} = row ${r} of A: `) +
      `its window covers ${V.win[r].length} input positions` +
      (padded ? `, ${padded} in the padding` + (mapped ? ` (read from the inputs outlined dashed, ${V.boundary})` : " (zeros)") : "") +
      `; reads ${list(inputs, 8) || "nothing"}`;
  }

  function onWeight(w) {
    for (const e of wEls(w)) mark(e, "focus");
    const pos = look.byW.get(w) || [];
    const rs = new Set(), cs = new Set();
    for (const [r, c] of pos) {
      mark(idx.cells.get(r + "," + c), "tied");
      if (!cs.has(c)) { cs.add(c); for (const e of inEls(c)) mark(e, "hl"); }
      if (!rs.has(r)) { rs.add(r); for (const e of outEls(r)) mark(e, "hl"); }
    }
    const sorted = (s) => Array.from(s).sort((a, b) => a - b);
    el("tcx-info").textContent = `${W.names[w]} = ${W.index[w]} = ${W.values[w]}` +
      ` is tied to ${pos.length} positions of A: it reads ${list(sorted(cs).map((c) => V.col_labels[c]), 6)}` +
      ` and feeds ${list(sorted(rs).map((r) => V.row_labels[r]), 6)}`;
  }

  function onIn(c) {
    for (const e of inEls(c)) mark(e, "hl");
    const ws = new Set(), rs = new Set();
    for (const [r, w] of look.byCol.get(c) || []) {
      mark(idx.cells.get(r + "," + c), "hl");
      if (!rs.has(r)) for (const e of outEls(r)) mark(e, "hl");
      ws.add(w);
      rs.add(r);
    }
    for (const w of ws) for (const e of wEls(w)) mark(e, "hl");
    const outs = Array.from(rs).sort((a, b) => a - b).map((r) => V.row_labels[r]);
    el("tcx-info").textContent = `input ${xName(c)} = column ${c} of A: read by ${rs.size}` +
      ` output${rs.size === 1 ? "" : "s"} (${list(outs, 6)}) through ${ws.size} weight${ws.size === 1 ? "" : "s"}`;
  }

  function show(t) {
    clear();
    if (!t || !V || !idx) return false;
    const d = t.dataset;
    if (d.kind === "cell") onCell(+d.row, +d.col);
    else if (d.kind === "out") onOut(+d.row);
    else if (d.kind === "weight" || d.kind === "wflip") onWeight(+d.w);
    else if (d.kind === "in") onIn(+d.col);
    else if (d.kind === "pad" && +d.src >= 0) onIn(+d.src);
    else return false;
    mark(t, "at");
    flush();
    return true;
  }
  const item = (e) => (e && e.closest ? e.closest("[data-kind]") : null);
  const focused = () => { const a = item(document.activeElement); return a && root.contains(a) ? a : null; };

  root.addEventListener("mouseover", (e) => {
    if (!show(item(e.target)) && focused()) show(focused());
    else if (!item(e.target)) el("tcx-info").textContent = HINT;
  });
  root.addEventListener("mouseleave", () => { if (focused()) show(focused()); else { clear(); el("tcx-info").textContent = HINT; } });
  // focus (keyboard, or a tap or click on a cell) acts like pointing
  root.addEventListener("focusin", (e) => {
    const t = item(e.target);
    if (!t || t.getAttribute("tabindex") === null) return;
    const g = t.dataset.grp ? idx.groups[t.dataset.grp].items : null;
    // one tab stop per group: the focused element carries it
    const peers = g || Array.from(idx.cells.values());
    for (const p of peers) if (p !== t && p.getAttribute("tabindex") === "0") p.setAttribute("tabindex", "-1");
    t.setAttribute("tabindex", "0");
    show(t);
  });
  root.addEventListener("click", (e) => {
    const t = item(e.target);
    if (t && t.getAttribute("tabindex") !== null) t.focus({ preventScroll: true });
  });

  // ------------------------------------------------------------------ keyboard
  const DIR = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  function nextCell(r, c, key) {
    const cols = look.rowCols.get(r), rows = look.rows, ri = rows.indexOf(r);
    if (key === "Home") return [r, cols[0]];
    if (key === "End") return [r, cols[cols.length - 1]];
    const [dr, dc] = DIR[key];
    if (dc) {
      const i = cols.indexOf(c) + dc;
      if (i >= 0 && i < cols.length) return [r, cols[i]];
      // past the row's end: on to the next (previous) row, reading order
      const r2 = rows[ri + dc];
      if (r2 === undefined) return null;
      const c2 = look.rowCols.get(r2);
      return [r2, dc > 0 ? c2[0] : c2[c2.length - 1]];
    }
    const r2 = rows[ri + dr];
    if (r2 === undefined) return null;
    // the stored entry of that row nearest to this column
    let best = null;
    for (const cc of look.rowCols.get(r2)) if (best === null || Math.abs(cc - c) < Math.abs(best - c)) best = cc;
    return [r2, best];
  }
  function nextItem(t, key) {
    const g = idx.groups[t.dataset.grp], i = +t.dataset.i, n = g.items.length;
    let j = null;
    if (key === "Home") j = 0;
    else if (key === "End") j = n - 1;
    else {
      const [dr, dc] = DIR[key];
      // step > 0: a grid with rows of that length; -1: a row vector; -2: a column vector
      if (g.step > 0) j = i + dc + dr * g.step;
      else if (g.step === -1 || g.step === 0) j = dc ? i + dc : null;
      else j = dr ? i + dr : null;
    }
    return j !== null && j >= 0 && j < n ? g.items[j] : null;
  }
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      clear();
      el("tcx-info").textContent = HINT;
      if (focused()) focused().blur();
      e.preventDefault();
      return;
    }
    const t = item(e.target);
    if (!t || !idx || !(e.key in DIR || e.key === "Home" || e.key === "End")) return;
    let next = null;
    if (t.dataset.kind === "cell") {
      const p = nextCell(+t.dataset.row, +t.dataset.col, e.key);
      next = p && idx.cells.get(p[0] + "," + p[1]);
    } else if (t.dataset.grp) next = nextItem(t, e.key);
    else return;
    e.preventDefault();
    if (next) next.focus();
  });

  controls();
  draw();
  // turning a phone, or resizing the window across the break: redraw in the other layout
  if (NARROW) NARROW.addEventListener("change", () => draw());
})();
