"use strict";
// Draws the embedded variants and links the highlighting.  All indices
// (taps, windows, which input a padded cell reads), all numbers (x, y = A x,
// the sums, the products, the gradients) and every position and size come
// from the Python builders in the data; this script only draws at the given
// pixels, looks things up and joins the given strings.  Every value written
// into the markup goes through esc() (text and attributes alike), so no
// string in the data can add an element or an attribute.
(function () {
  const D = JSON.parse(document.getElementById("tcx-data").textContent);
  const W = D.weights, K = D.kernel, MINF = D.min_font;
  const el = (id) => document.getElementById(id);
  const root = el("tcx");
  const HINT = "Point at (or Tab to, or tap) a matrix cell, an output, an input or a weight; " +
               "Enter pins, arrow keys move, Escape clears. Play walks the window over the outputs.";
  const sel = {};
  D.axes.forEach((a, i) => { sel[a.name] = D.initial.split("|")[i]; });
  let V = null;       // the current variant
  let look = null;    // lookups built from its taps
  let idx = null;     // drawn elements by index: the highlighting never searches the DOM
  let N = null;       // its numbers (x, y, sums, products) or null
  let G = null;       // its gradient numbers (g, dL/dw, dL/dx and their sums)
  let grad = false;   // the gradient view is on
  let pinned = null;  // the element pinned with Enter (aria-pressed="true")
  // A narrow window gets the narrow layout (computed in Python like the wide
  // one): panels stacked, drawn at their own pixel size so text never drops
  // below D.min_font, a panel too wide for the window scrolling in its box.
  const NARROW = window.matchMedia ?
    window.matchMedia(`(max-width: ${+D.variants[D.initial].narrow.below}px)`) : null;
  const WIDE = window.matchMedia ? window.matchMedia(`(min-width: ${+D.wide_from}px)`) : null;
  const narrow = () => !!(NARROW && NARROW.matches);
  const wide = () => !narrow() && !!(WIDE && WIDE.matches);
  const lay = (v) => (narrow() ? v.narrow : v);

  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (s) => (typeof s === "number" ? String(s) : String(s).replace(/[&<>"']/g, (c) => ESC[c]));
  const keyOf = (s) => D.axes.map((a) => s[a.name]).join("|");
  const list = (items, most) => (items.length > most ?
    items.slice(0, most).join(", ") + `, … (${items.length} in all)` : items.join(", "));
  const fac = (t) => (String(t).startsWith("-") ? `(${t})` : String(t));
  const info = (t) => { el("tcx-info").textContent = t; };

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
      stopPlay(true);
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
  // What an output, an input and a weight show in the current view.
  const outText = (r) => (grad ? G.g[r] : (N ? N.y[r] : null));
  const wValue = (i) => (grad && G.w ? G.w[i] : W.values[i]);
  const cellName = (ws) => ws.map((w) => W.names[w]).join(" + ");
  const cellVals = (ws) => ws.map((w) => W.values[w]).join(" + ");
  const ariaIn = (c) => `input ${V.col_labels[c]}` + (N ? ` = ${N.x[c]}` : "") +
    (grad ? `, gradient ${G.x[c]}` : "");
  const ariaOut = (r) => `output ${V.row_labels[r]}` + (N ? ` = ${N.y[r]}` : "") +
    (grad ? `, dL/dy = ${G.g[r]}` : "");

  // A cell: a <g> with its kind and indices, its box (for the selection
  // rings), a fill and an optional label no smaller than D.min_font.
  function cellSvg(kind, attrs, x, y, w, h, fill, label, fontPx, textFill, extra) {
    let a = "";
    for (const [k, val] of Object.entries(attrs)) a += ` data-${esc(k)}="${esc(val)}"`;
    let s = `<g data-kind="${esc(kind)}"${a} data-box="${esc(x)},${esc(y)},${esc(w)},${esc(h)}"${extra || ""}>`;
    s += `<rect x="${esc(x)}" y="${esc(y)}" width="${esc(w)}" height="${esc(h)}" fill="${esc(fill)}"/>`;
    // shrink a label to fit its cell (monospace: ~0.62 em per character), or drop it
    const fit = label ? Math.min(fontPx, Math.floor((w - 2) / (0.62 * String(label).length))) : 0;
    if (label !== null && label !== "" && fit >= MINF) {
      s += `<text x="${esc(x + w / 2)}" y="${esc(y + h / 2)}" font-size="${esc(fit)}"` +
           ` fill="${esc(textFill || "#222")}">${esc(label)}</text>`;
    }
    return s + "</g>";
  }
  // focusable, a button for screen readers, with what it is and holds
  const focusable = (label) => ` tabindex="-1" role="button" aria-pressed="false" aria-label="${esc(label)}"`;

  // An SVG that scales down with the window (never up, except the matrix in
  // the wide layout): the drawing's own pixel size is its viewBox.  The
  // selection rings go on an identical SVG laid over it in a compositing
  // layer of its own, so a hover repaints a few outlines, not every cell.
  function svg(id, w, h, body, cls, ring) {
    const grow = id === "tcx-matrix-svg" && wide();
    const box = `viewBox="0 0 ${esc(w)} ${esc(h)}" ` + (narrow() ? `width="${esc(w)}" height="${esc(h)}"` :
                (grow ? `width="100%"` : `width="100%" style="max-width:${esc(w)}px"`)) +
                ` preserveAspectRatio="xMinYMin meet"`;
    return `<div class="stack"><svg id="${esc(id)}" ${box} data-ring="${esc(ring.join(","))}"` +
           `${cls ? ` class="${esc(cls)}"` : ""}><g id="${esc(id)}-body">${body}</g></svg>` +
           `<svg class="overlay" aria-hidden="true" ${box}><g class="rings" id="${esc(id)}-rings"></g></svg></div>`;
  }
  // A panel is as wide as its drawing, and shrinks (never grows) with the window;
  // the kernel and the input/output grids share the left column.  In the wide
  // layout the matrix panel takes at least half the window (see the CSS).
  function sizePanel(id, width) {
    const p = el(id).parentNode.closest(".panel");
    const w = p.id === "tcx-left" ? V.left_width : width;
    const grow = p.id === "tcx-mpanel" && wide();
    p.style.flexBasis = narrow() || grow ? "" : w + "px";
    p.style.maxWidth = narrow() ? "100%" : (grow ? "" : w + "px");
  }

  function drawKernel(v) {
    const c = K.cell;
    let s = "";
    const flip = v.flip && K.flip_at.length > 0;
    for (const [x, y, text] of K.captions.slice(0, flip ? 2 : 1)) {
      s += `<text class="cap" x="${esc(x)}" y="${esc(y)}">${esc(text)}</text>`;
    }
    const one = (kind, at, i) => {
      const [x, y] = at[i];
      const label = `weight ${W.names[i]} = ${W.values[i]}` + (grad && G.w ? `, dL/d${W.names[i]} = ${G.w[i]}` : "");
      let g = cellSvg(kind, { w: i }, x, y, c, c, W.colors[i], null, 0, null, focusable(label));
      g = g.slice(0, -4);     // keep the group open for the two labels
      g += `<text x="${esc(x + c / 2)}" y="${esc(y + 12)}" font-size="13" fill="${esc(W.text[i])}">${esc(W.names[i])}</text>`;
      g += `<text class="wval" x="${esc(x + c / 2)}" y="${esc(y + 29)}" font-size="13" fill="${esc(W.text[i])}">${esc(wValue(i))}</text>`;
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
      // the gradient view shows g = dL/dy where the outputs are
      const t = grad ? String(text).replace(/^y/, "g") : text;
      s += `<text class="cap" style="text-anchor:${esc(anchor)}" x="${esc(x)}" y="${esc(y)}">${esc(t)}</text>`;
    }
    v.grid.forEach(([ch, ...rest], i) => {
      const nd = v.nd, p = rest.slice(0, nd);
      const [col, inside, label] = rest.slice(nd);
      const attrs = { ch: ch, p: p.join(",") };
      const [x, y] = L.grid[i];
      if (inside) {
        attrs.col = col;
        s += cellSvg("in", attrs, x, y, c, c, "#ffffff", N ? N.x[col] : label, font, "#222", focusable(ariaIn(col)));
      } else {
        attrs.src = col;
        const mapped = col >= 0;
        const text = N ? (mapped ? N.x[col] : "0") : label;
        const aria = mapped ? `padding, reads ${v.col_labels[col]}` : "padding, a zero";
        s += cellSvg("pad", attrs, x, y, c, c, D.pad_color, text, font,
                     mapped ? "#555" : "#444", ` role="img" aria-label="${esc(aria)}"` + (mapped ? ' class="mapped"' : ""));
      }
    });
    L.outs.forEach(([x, y], r) => {
      const t = outText(r);
      s += cellSvg("out", { row: r }, x, y, c, c, "#ffffff", t === null ? v.out_short[r] : t, font,
                   "#222", focusable(ariaOut(r)));
    });
    el("tcx-natural").innerHTML = svg("tcx-natural-svg", L.width, L.height, s, "", L.ring);
    sizePanel("tcx-natural", L.width);
  }

  function matrixCell(L, r, c, ws) {
    const cs = L.cell, x = L.x[c], y = L.y[r], T = L.cell_text;
    const label = `row ${r}, column ${c}: ${cellName(ws)} = ${cellVals(ws)}`;
    let g = `<g data-kind="cell" data-row="${esc(r)}" data-col="${esc(c)}" data-w="${esc(ws.join(" "))}"` +
            ` data-box="${esc(x)},${esc(y)},${esc(cs - 1)},${esc(cs - 1)}"${focusable(label)}>`;
    const sw = (cs - 1) / ws.length;
    ws.forEach((w, i) => {
      g += `<rect x="${esc(x + i * sw)}" y="${esc(y)}" width="${esc(sw)}" height="${esc(cs - 1)}" fill="${esc(W.colors[w])}"/>`;
    });
    if (L.cell_font) {
      // the weight's value (its name above it in large cells); several tied weights: Σ
      const one = ws.length === 1;
      const fill = esc(one ? W.text[ws[0]] : "#000");
      if (one && T.name_font) {
        g += `<text class="wname" x="${esc(x + cs / 2)}" y="${esc(y + T.name_dy)}" font-size="${esc(T.name_font)}" fill="${fill}">${esc(W.names[ws[0]])}</text>`;
      }
      const lab = one ? W.values[ws[0]] : "Σ";
      const fit = Math.min(L.cell_font, Math.floor((cs - 3) / (0.62 * String(lab).length)));
      if (fit >= MINF) {
        g += `<text class="wv" x="${esc(x + cs / 2)}" y="${esc(y + T.value_dy)}" font-size="${esc(fit)}" fill="${fill}">${esc(lab)}</text>`;
      }
    }
    return g + "</g>";
  }

  function drawMatrix(v) {
    const L = lay(v).matrix, cs = L.cell, X = L.x, Y = L.y;
    const x0 = X[0], y0 = Y[0];
    const parts = [];
    // the input vector above the columns
    for (let c = 0; c < v.n; c++) {
      parts.push(cellSvg("in", { col: c }, X[c], L.in_y, cs - 1, cs - 1, "#ffffff",
                         L.vec_font ? (N ? N.x[c] : v.col_short[c]) : null, L.vec_font, "#222", focusable(ariaIn(c))));
    }
    // background of the structurally zero cells, with a light grid when cells are large enough
    parts.push(`<rect x="${esc(x0)}" y="${esc(y0)}" width="${esc(L.right - x0)}" height="${esc(L.bottom - y0)}" fill="${esc(D.zero_color)}" class="frame"/>`);
    if (!L.small) {
      for (let r = 1; r < v.m; r++) parts.push(`<line class="gridline" x1="${esc(x0)}" x2="${esc(L.right)}" y1="${esc(Y[r])}" y2="${esc(Y[r])}"/>`);
      for (let c = 1; c < v.n; c++) parts.push(`<line class="gridline" y1="${esc(y0)}" y2="${esc(L.bottom)}" x1="${esc(X[c])}" x2="${esc(X[c])}"/>`);
    }
    // stored entries, one group per (row, col); several tied weights = stripes
    for (const [k, ws] of look.cells) {
      const [r, c] = k.split(",").map(Number);
      parts.push(matrixCell(L, r, c, ws));
    }
    // the doubly block structure (2-D) and the channel blocks, named outside the cells
    for (const [x, y, w, h] of L.sub) parts.push(`<rect class="sub" x="${esc(x)}" y="${esc(y)}" width="${esc(w)}" height="${esc(h)}"/>`);
    for (const [x, y, w, h] of L.blocks) parts.push(`<rect class="block" x="${esc(x)}" y="${esc(y)}" width="${esc(w)}" height="${esc(h)}"/>`);
    for (const [x, y, text, anchor] of L.block_text) {
      parts.push(`<text class="blocklab" style="text-anchor:${esc(anchor)}" x="${esc(x)}" y="${esc(y)}">${esc(text)}</text>`);
    }
    // the output vector to the right of the rows
    for (let r = 0; r < v.m; r++) {
      const t = outText(r);
      parts.push(cellSvg("out", { row: r }, L.out_x, Y[r], cs - 1, cs - 1, "#ffffff",
                         L.vec_font ? (t === null ? v.row_short[r] : t) : null, L.vec_font, "#222", focusable(ariaOut(r))));
      if (L.labels) parts.push(`<text class="idx" x="${esc(L.idx_x)}" y="${esc(Y[r] + cs / 2)}">${esc(r)}</text>`);
    }
    if (L.labels) {
      for (let c = 0; c < v.n; c++) parts.push(`<text class="idx" x="${esc(X[c] + cs / 2)}" y="${esc(L.idx_y)}">${esc(c)}</text>`);
      parts.push(`<text class="cap" x="${esc(L.cap_x[0])}" y="${esc(L.cap_x[1])}">x</text>`);
      parts.push(`<text class="cap" x="${esc(L.cap_y[0])}" y="${esc(L.cap_y[1])}">${grad ? "g" : "y"}</text>`);
    }
    el("tcx-matrix").innerHTML = svg("tcx-matrix-svg", L.width, L.height, parts.join(""),
                                     L.small ? "small" : "", L.ring);
    sizePanel("tcx-matrix", L.width);
    drawLens(L);
  }

  // The magnifier over a matrix of small cells: copies of the cells near
  // the one pointed at (found by their pixel boxes, rows by a binary search
  // of the row tops from Python) and the rings (<use>), drawn LENS_CELL px large.
  function drawLens(L) {
    const lens = el("tcx-lens");
    lens.hidden = true;
    if (!L.lens) { lens.innerHTML = ""; return; }
    const s = +D.lens_size;
    lens.innerHTML = `<svg width="${esc(s)}" height="${esc(s)}" viewBox="0 0 1 1" aria-hidden="true">` +
      `<rect class="lens-bg" x="${esc(L.x[0])}" y="${esc(L.y[0])}" width="${esc(L.right - L.x[0])}"` +
      ` height="${esc(L.bottom - L.y[0])}" fill="${esc(D.zero_color)}"/><g class="lens-cells"></g>` +
      `<use href="#tcx-matrix-svg-rings"/></svg><div class="lens-cap"></div>`;
  }
  // the first index whose value is at least v, in an ascending list
  function firstAtLeast(list, v) {
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function moveLens(t) {
    const lens = el("tcx-lens"), L = lay(V).matrix;
    if (!L.lens || !t || t.ownerSVGElement !== el("tcx-matrix-svg")) { lens.hidden = true; return; }
    const [x, y, w, h] = t.dataset.box.split(",").map(Number);
    const side = D.lens_size / L.lens, vx = x + w / 2 - side / 2, vy = y + h / 2 - side / 2;
    lens.querySelector("svg").setAttribute("viewBox", `${esc(vx)} ${esc(vy)} ${esc(side)} ${esc(side)}`);
    const near = [];
    for (let i = firstAtLeast(L.y, vy - L.cell); i < L.y.length && L.y[i] <= vy + side; i++) {
      for (const [c] of look.byRow.get(i) || []) {
        if (L.x[c] + L.cell >= vx && L.x[c] <= vx + side) {
          const e = idx.cells.get(i + "," + c);
          if (e && !near.includes(e)) near.push(e);
        }
      }
    }
    lens.querySelector(".lens-cells").replaceChildren(...near.map((e) => e.cloneNode(true)));
    lens.querySelector(".lens-cap").textContent = t.getAttribute("aria-label") || "";
    lens.hidden = false;
    // beside the cell, inside the window (where the pointer is: only the
    // browser knows; flipped to the left near the window's right edge)
    const r = t.getBoundingClientRect(), s = lens.getBoundingClientRect();
    const right = r.right + 24 + s.width <= innerWidth;
    const left = right ? r.right + 24 : r.left - 24 - s.width;
    const top = r.top - s.height / 2 < 0 ? 0 : r.top - s.height / 2;
    lens.style.left = (left + scrollX) + "px";
    lens.style.top = (top + scrollY) + "px";
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
    unpin();
    markButtons();
    root.classList.toggle("narrow", narrow());
    root.classList.toggle("wide", wide());
    root.classList.toggle("grad", grad);
    const k = keyOf(sel);
    V = D.variants[k] || null;
    if (!V) {
      el("tcx-title").textContent = "(unavailable)";
      info(D.unavailable[k] || "this combination is not available");
      for (const id of ["tcx-natural", "tcx-matrix"]) el(id).innerHTML = "";
      el("tcx-lens").hidden = true;
      root.dataset.variant = "";
      idx = null;
      return;
    }
    N = V.numbers;
    G = V.grad;
    look = buildLookups(V);
    el("tcx-title").textContent = V.title;
    info(grad ? gradHint() : HINT);
    const nat = el("tcx-natural");
    nat.dataset.panel = V.nd === 2 || V.transposed ? "spatial" : "natural";
    el("tcx-natural-h").textContent = V.transposed ?
      "the zero-inserted input (zeros between the samples and around them), a stride-1 window, the output" :
      (V.nd === 2 ? "spatial view: the input grid with its padding, the window, the output grid" :
       "input (with its padding) and output");
    el("tcx-matrix-h").textContent = grad ? "gradient: dL/dw = Σ x·g over each weight's positions" : "y = A x";
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
  const gradHint = () => "Gradient view: the outputs show g = dL/dy" + (G.random ? " (random)" : "") +
    "; point at a weight for dL/dw as a sum over its tied positions, at an input for dL/dx.";

  // ------------------------------------------------------------------ highlighting
  // State is classes on the drawn groups (at: what is pointed at; focus,
  // hl, tied, win, src: what it links to); what shows is a double outline,
  // black outside and white inside, drawn in each SVG's ring layer, so
  // it reads on every fill colour.  Weight colours are only ever fills.
  let marked = [], relabelled = new Set();
  function clear() {
    for (const [e, c] of marked) e.classList.remove(c);
    marked = [];
    relabelled = new Set();
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
    const o = { tag: [], frame: [] };
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
    // the rings cover a label's edges: write it again on top, on a white halo
    if (relabelled.has(e)) return;
    relabelled.add(e);
    for (const t of e.querySelectorAll("text")) {
      r.html.tag.push(`<text class="relabel" x="${esc(t.getAttribute("x"))}" y="${esc(t.getAttribute("y"))}"` +
                      ` font-size="${esc(t.getAttribute("font-size"))}">${esc(t.textContent)}</text>`);
    }
  }
  // The weight (or, while playing, the product) that meets an input of a
  // pointed-at output's window: above the cell (1-D, tag_dy < 0) or on a
  // white label inside it (2-D, tag_dy 0).
  function tag(e, text) {
    const svgEl = e.ownerSVGElement, r = idx.rings.get(svgEl), dy = lay(V).natural.tag_dy;
    if (!r) return;
    const [x, y, w, h] = e.dataset.box.split(",").map(Number);
    if (dy) {
      r.html.tag.push(`<text class="tag" x="${esc(x + w / 2)}" y="${esc(y + dy)}">${esc(text)}</text>`);
    } else {
      r.html.tag.push(`<rect class="tagbg" x="${esc(x + 2)}" y="${esc(y + h / 4)}" width="${esc(w - 4)}" height="${esc(h / 2)}"/>` +
                      `<text class="tag" x="${esc(x + w / 2)}" y="${esc(y + h / 2)}">${esc(text)}</text>`);
    }
  }
  // The window's outline over the grid (per input channel, boxes from
  // Python, dilated windows included); "prev" is the step before.
  function frame(r, cls) {
    const svgEl = el("tcx-natural-svg"), rg = svgEl && idx.rings.get(svgEl);
    if (!rg) return;
    for (const [x, y, w, h] of lay(V).natural.frames[r] || []) {
      rg.html.frame.push(`<rect class="${esc(cls)}" x="${esc(x)}" y="${esc(y)}" width="${esc(w)}" height="${esc(h)}"/>`);
    }
  }
  function flush() {
    for (const r of idx.rings.values()) {
      let h = r.html.frame.join("");
      for (const k of LAYERS) {
        const p = r.html[k];
        if (!p.out.length) continue;
        h += `<path class="${esc(k)}" stroke-width="${esc(r.w[0] * SCALE[k])}" d="${esc(p.out.join(""))}"/>` +
             `<path class="ring-in" stroke-width="${esc(r.w[1] * SCALE[k])}" d="${esc(p.in.join(""))}"/>`;
      }
      r.layer.innerHTML = h + r.html.tag.join("");
    }
    // fading the unlinked cells restyles every cell: only where cells are large (and few)
    if (!lay(V).matrix.small) root.classList.add("active");
  }
  const inEls = (c) => [idx.nIn[c], idx.mIn[c]];
  const outEls = (r) => [idx.nOut[r], idx.mOut[r]];
  const wEls = (w) => [idx.weight[w], idx.wflip[w][0]];
  const xName = (c) => V.col_labels[c] + (N ? ` (= ${N.x[c]})` : "");
  const yName = (r) => V.row_labels[r] + (N ? ` (= ${N.y[r]})` : "");
  const dw = (w) => `dL/d${W.names[w]}`;

  function onCell(r, c) {
    const ws = look.cells.get(r + "," + c);
    for (const w of ws) {
      for (const [rr, cc] of look.byW.get(w)) mark(idx.cells.get(rr + "," + cc), "tied");
      for (const e of wEls(w)) mark(e, "hl");
    }
    mark(idx.cells.get(r + "," + c), "focus");
    for (const e of inEls(c)) mark(e, "hl");
    for (const e of outEls(r)) mark(e, "hl");
    if (grad) {
      info(`A[${r}, ${c}] = ${cellName(ws)}: this position adds ${N ? fac(N.x[c]) : V.col_short[c]}·${fac(G.g[r])}` +
        ` (x·g) to ${ws.map(dw).join(", ")}; ` + ws.map((w) => `${dw(w)} = ${G.w_sums[w]}`).join("; "));
      return;
    }
    info(`A[${r}, ${c}] = ${cellName(ws)} = ${cellVals(ws)}:` +
      ` weight ${ws.map((w) => W.index[w]).join(", ")} multiplies input ${xName(c)} into output ${yName(r)}` +
      (ws.length > 1 ? " (the padding reads this input more than once)" : "") +
      (N ? `; ${V.row_labels[r]} = ${N.sums[r]}` : ""));
  }

  // an output's row, its inputs and weights, and its window over the grid;
  // products: tag each window cell with its product (Play) instead of the weight
  function onOut(r, products) {
    for (const e of outEls(r)) mark(e, "hl");
    const used = new Set(), cols = [];
    for (const [c, w] of look.byRow.get(r) || []) {
      mark(idx.cells.get(r + "," + c), "hl");
      for (const e of inEls(c)) mark(e, "hl");
      used.add(w);
      cols.push(c);
    }
    for (const w of used) for (const e of wEls(w)) mark(e, "hl");
    const nd = V.nd, tags = [];
    let padded = 0, mapped = 0, fits = true;
    V.win[r].forEach((e, i) => {
      const ch = e[0], p = e.slice(1, 1 + nd).join(","), src = e[1 + nd], w = e[2 + nd];
      const g = idx.nat.get(ch + "|" + p);
      if (!g) return;
      mark(g, "win");
      const t = products && N ? `${fac(W.values[w])}·${src >= 0 ? fac(N.x[src]) : "0"}` : W.names[w];
      // a product "7·2" over its cell where every one of them fits, else all as values "14"
      fits = fits && t.length * 0.62 * MINF <= +g.dataset.box.split(",")[2] + 2;
      tags.push([g, t, N && products ? N.prods[r][i] : t]);
      if (g.dataset.kind === "pad") {
        padded++;
        if (src >= 0) { mapped++; mark(idx.nIn[src], "src"); }
      }
    });
    for (const [g, t, value] of tags) tag(g, fits ? t : value);
    frame(r, "frame-now");
    if (grad) {
      info(`${V.row_labels[r]}: g = dL/dy = ${G.g[r]}; it reaches every weight of its row through x: ` +
        Array.from(used).sort((a, b) => a - b).map((w) => `${dw(w)} = ${G.w_sums[w]}`).join("; "));
      return;
    }
    const inputs = Array.from(new Set(cols)).sort((a, b) => a - b).map((c) => V.col_labels[c]);
    info((N ? `${V.row_labels[r]} = ${N.sums[r]}: ` : `${V.row_labels[r]} = row ${r} of A: `) +
      `its window covers ${V.win[r].length} input positions` +
      (padded && V.transposed ? `, ${padded} of them zeros (inserted between the samples or around them)` :
       padded ? `, ${padded} in the padding` + (mapped ? ` (read from the inputs outlined dashed, ${V.boundary})` : " (zeros)") : "") +
      `; reads ${list(inputs, 8) || "nothing"}`);
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
    if (grad) {
      info(`${dw(w)} = Σ x[c]·g[r] over the ${pos.length} positions tied to ${W.names[w]} = ${G.w_sums[w]}`);
      return;
    }
    info(`${W.names[w]} = ${W.index[w]} = ${W.values[w]}` +
      ` is tied to ${pos.length} positions of A: it reads ${list(sorted(cs).map((c) => V.col_labels[c]), 6)}` +
      ` and feeds ${list(sorted(rs).map((r) => V.row_labels[r]), 6)}`);
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
    if (grad) {
      info(`dL/d${V.col_labels[c]} = Σ w·g[r] down column ${c} of A = ${G.x_sums[c]}`);
      return;
    }
    const outs = Array.from(rs).sort((a, b) => a - b).map((r) => V.row_labels[r]);
    info(`input ${xName(c)} = column ${c} of A: read by ${rs.size}` +
      ` output${rs.size === 1 ? "" : "s"} (${list(outs, 6)}) through ${ws.size} weight${ws.size === 1 ? "" : "s"}`);
  }

  function show(t) {
    clear();
    if (!t || !V || !idx) return false;
    const d = t.dataset;
    if (d.kind === "cell") onCell(+d.row, +d.col);
    else if (d.kind === "out") onOut(+d.row, false);
    else if (d.kind === "weight" || d.kind === "wflip") onWeight(+d.w);
    else if (d.kind === "in") onIn(+d.col);
    else if (d.kind === "pad" && +d.src >= 0) onIn(+d.src);
    else return false;
    mark(t, "at");
    flush();
    moveLens(t);
    return true;
  }
  const item = (e) => (e && e.closest ? e.closest("[data-kind]") : null);
  const focused = () => { const a = item(document.activeElement); return a && root.contains(a) ? a : null; };
  const busy = () => pinned || step !== null;

  root.addEventListener("mouseover", (e) => {
    if (busy()) return;
    if (!show(item(e.target)) && focused()) show(focused());
    else if (!item(e.target)) { info(grad ? gradHint() : HINT); el("tcx-lens").hidden = true; }
  });
  root.addEventListener("mouseleave", () => {
    if (busy()) return;
    if (focused()) show(focused()); else { clear(); info(grad ? gradHint() : HINT); el("tcx-lens").hidden = true; }
  });
  // focus (keyboard, or a tap or click on a cell) acts like pointing
  root.addEventListener("focusin", (e) => {
    const t = item(e.target);
    if (!t || t.getAttribute("tabindex") === null) return;
    const g = t.dataset.grp ? idx.groups[t.dataset.grp].items : null;
    // one tab stop per group: the focused element carries it
    const peers = g || Array.from(idx.cells.values());
    for (const p of peers) if (p !== t && p.getAttribute("tabindex") === "0") p.setAttribute("tabindex", "-1");
    t.setAttribute("tabindex", "0");
    if (!busy()) show(t);
  });
  root.addEventListener("click", (e) => {
    const t = item(e.target);
    if (t && t.getAttribute("tabindex") !== null) t.focus({ preventScroll: true });
  });
  function pin(t) {
    unpin();
    show(t);
    pinned = t;
    t.setAttribute("aria-pressed", "true");
  }
  function unpin() {
    if (pinned) pinned.setAttribute("aria-pressed", "false");
    pinned = null;
  }

  // ------------------------------------------------------------------ play and step
  // The window walks over the outputs in row order: at each step its products
  // are written over the input cells, the sum lands in the output (the
  // outputs still to come are blank) and the matrix row lights.
  let step = null, timer = null, pending = [];
  const SPEEDS = [2400, 1600, 1000, 600, 300];      // ms per step, slow to fast
  function showStep(r) {
    for (const e of pending) e.classList.remove("pending");
    pending = [];
    for (let rr = r + 1; rr < V.m; rr++) for (const e of outEls(rr)) if (e) { e.classList.add("pending"); pending.push(e); }
    clear();
    onOut(r, true);
    if (r > 0) frame(r - 1, "frame-prev");       // the stride step, from the last window
    for (const e of outEls(r)) mark(e, "at");
    flush();
    const done = N ? ` — so far y = [${N.y.slice(0, r + 1).join(", ")}${r + 1 < V.m ? ", …" : ""}]` : "";
    info(`step ${r + 1} of ${V.m}: ` + el("tcx-info").textContent + done);
  }
  function goStep(d) {
    if (!V || !idx) return;
    // the rows in order, first to last; stepping stops at either end
    const want = step === null ? (d > 0 ? 0 : V.m - 1) : step + d;
    const r = want < 0 ? 0 : (want > V.m - 1 ? V.m - 1 : want);
    step = r;
    unpin();
    showStep(r);
    if (timer && r === V.m - 1) stopPlay(false);
  }
  const playBtn = () => root.querySelector('[data-action="play"]');
  function startPlay() {
    if (!V) return;
    if (step === null || step >= V.m - 1) { step = null; }
    goStep(1);
    const ms = SPEEDS[(+root.querySelector('[data-action="speed"]').value || 3) - 1] || 1000;
    timer = setInterval(() => goStep(1), ms);
    playBtn().setAttribute("aria-pressed", "true");
    playBtn().textContent = "❚❚ Pause";
  }
  // reset: also leave the stepping (Escape, a switch); else only pause
  function stopPlay(reset) {
    if (timer) clearInterval(timer);
    timer = null;
    playBtn().setAttribute("aria-pressed", "false");
    playBtn().textContent = "▶ Play";
    if (reset) {
      step = null;
      for (const e of pending) e.classList.remove("pending");
      pending = [];
    }
  }

  // ------------------------------------------------------------------ actions
  const ZOOMS = [1, 1.5, 2];
  let zoom = 1;
  function setZoom(z) {
    zoom = z;
    root.style.zoom = String(z);
    const b = root.querySelector('[data-action="zoom"]');
    b.setAttribute("aria-pressed", z > 1 ? "true" : "false");
    b.textContent = `Zoom ${z}×`;
  }
  el("tcx-actions").addEventListener("click", (e) => {
    const b = e.target.closest("[data-action]");
    if (!b) return;
    const a = b.dataset.action;
    if (a === "play") { if (timer) stopPlay(false); else startPlay(); }
    else if (a === "step") { stopPlay(false); goStep(1); }
    else if (a === "gradient") {
      grad = !grad;
      b.setAttribute("aria-pressed", grad ? "true" : "false");
      const r = step;
      stopPlay(true);
      draw();
      if (r !== null) { step = r; showStep(r); }
    } else if (a === "zoom") setZoom(ZOOMS[(ZOOMS.indexOf(zoom) + 1) % ZOOMS.length] || 1);
  });
  el("tcx-actions").addEventListener("input", (e) => {
    if (e.target.dataset.action === "speed" && timer) { stopPlay(false); startPlay(); }
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
  // on the document: Escape and the stepping arrows work wherever the focus is
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      stopPlay(true);
      unpin();
      clear();
      info(grad ? gradHint() : HINT);
      el("tcx-lens").hidden = true;
      if (focused()) focused().blur();
      e.preventDefault();
      return;
    }
    if (step !== null && e.key in DIR) {
      // stepping: the arrows walk the window (right/down on, left/up back)
      stopPlay(false);
      goStep(e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : -1);
      e.preventDefault();
      return;
    }
    const t = item(e.target);
    if (t && idx && (e.key === "Enter" || e.key === " ")) {
      if (pinned === t) { unpin(); show(t); } else pin(t);
      e.preventDefault();
      return;
    }
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
  const qz = parseFloat(new URLSearchParams(location.search).get("zoom"));
  if (qz >= 0.5 && qz <= 4) setZoom(qz); else setZoom(1);
  grad = !!(D.start && D.start.gradient);
  root.querySelector('[data-action="gradient"]').setAttribute("aria-pressed", grad ? "true" : "false");
  draw();
  if (D.start && D.start.play) startPlay();
  // turning a phone, or resizing the window across a break: redraw in the other layout
  for (const mq of [NARROW, WIDE]) if (mq) mq.addEventListener("change", () => { stopPlay(true); draw(); });
})();
