"use strict";
// Draws the embedded variants and links the highlighting.  All indices
// (taps, windows, which input a padded cell reads) come from the Python
// builders in the data; this script only lays out and looks things up.
(function () {
  const D = JSON.parse(document.getElementById("tcx-data").textContent);
  const W = D.weights;
  const el = (id) => document.getElementById(id);
  const root = el("tcx");
  const sel = {};
  D.axes.forEach((a, i) => { sel[a.name] = D.initial.split("|")[i]; });
  let V = null;       // the current variant
  let look = null;    // lookups built from its taps and windows

  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const keyOf = (s) => D.axes.map((a) => s[a.name]).join("|");

  function controls() {
    let h = "";
    for (const a of D.axes) {
      h += `<div class="axis"><span class="axis-name">${esc(a.label)}</span>`;
      for (const v of a.values) {
        h += `<button type="button" data-axis="${esc(a.name)}" data-value="${esc(v.value)}">` +
             `${esc(v.label)}</button>`;
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
      b.classList.toggle("on", sel[b.dataset.axis] === b.dataset.value);
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
    return { cells, byW, byRow, byCol };
  }

  // ------------------------------------------------------------------ drawing
  function cellSvg(kind, attrs, x, y, w, h, fill, label, fontPx, textFill, extra) {
    let a = "";
    for (const [k, val] of Object.entries(attrs)) a += ` data-${k}="${esc(val)}"`;
    let s = `<g data-kind="${kind}"${a}${extra || ""}>`;
    s += `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
    // shrink a label to fit its cell (monospace: ~0.62 em per character), or drop it
    const fit = label ? Math.min(fontPx, Math.floor((w - 2) / (0.62 * String(label).length))) : 0;
    if (label !== null && label !== "" && fit >= 6) {
      s += `<text x="${x + w / 2}" y="${y + h / 2}" font-size="${fit}"` +
           ` fill="${textFill || "#222"}">${esc(label)}</text>`;
    }
    return s + "</g>";
  }

  // Every position and size comes from Python (D.kernel, v.natural, v.matrix):
  // the page draws at the pixels it is given and computes no layout itself.
  function drawKernel() {
    const K = D.kernel, c = K.cell;
    let s = "";
    W.names.forEach((name, i) => {
      const [x, y] = K.at[i];
      s += cellSvg("weight", { w: i }, x, y, c, c, W.colors[i], null, 0, null, "");
      s += `<text x="${x + c / 2}" y="${y + 12}" font-size="12"` +
           ` fill="${W.text[i]}">${esc(name)}</text>`;
      s += `<text x="${x + c / 2}" y="${y + 27}" font-size="10"` +
           ` fill="${W.text[i]}">${esc(W.values[i])}</text>`;
    });
    el("tcx-kernel").innerHTML =
      `<svg width="${K.width}" height="${K.height}" id="tcx-kernel-svg">${s}</svg>`;
  }

  function drawNatural(v) {
    const L = v.natural, c = L.cell, font = L.font;
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
        s += cellSvg("in", attrs, x, y, c, c, "#ffffff", label, font, "#222", "");
      } else {
        attrs.src = col;
        const mapped = col >= 0;
        s += cellSvg("pad", attrs, x, y, c, c, D.pad_color, label, font,
                     mapped ? "#777" : "#999", mapped ? ' class="mapped"' : "");
      }
    });
    L.outs.forEach(([x, y], r) => {
      s += cellSvg("out", { row: r }, x, y, c, c, "#ffffff", v.out_short[r], font, "#222", "");
    });
    el("tcx-natural").innerHTML =
      `<svg width="${L.width}" height="${L.height}" id="tcx-natural-svg">${s}</svg>`;
  }

  function drawMatrix(v) {
    const L = v.matrix, cs = L.cell, X = L.x, Y = L.y;
    const x0 = X[0], y0 = Y[0];
    let s = "";
    // the input vector above the columns
    for (let c = 0; c < v.n; c++) {
      s += cellSvg("in", { col: c }, X[c], L.in_y, cs - 1, cs - 1, "#ffffff",
                   L.vec_font ? v.col_short[c] : null, L.vec_font, "#222", "");
    }
    // background grid of the structurally zero cells
    s += `<rect x="${x0}" y="${y0}" width="${L.right - x0}" height="${L.bottom - y0}" fill="${D.zero_color}" class="frame"/>`;
    for (let r = 1; r < v.m; r++) s += `<line class="gridline" x1="${x0}" x2="${L.right}" y1="${Y[r]}" y2="${Y[r]}"/>`;
    for (let c = 1; c < v.n; c++) s += `<line class="gridline" y1="${y0}" y2="${L.bottom}" x1="${X[c]}" x2="${X[c]}"/>`;
    // stored entries, one group per (row, col); several tied weights = stripes
    for (const [k, ws] of look.cells) {
      const [r, c] = k.split(",").map(Number);
      const x = X[c], y = Y[r];
      let g = `<g data-kind="cell" data-row="${r}" data-col="${c}" data-w="${ws.join(" ")}">`;
      const sw = (cs - 1) / ws.length;
      ws.forEach((w, i) => {
        g += `<rect x="${x + i * sw}" y="${y}" width="${sw}" height="${cs - 1}" fill="${W.colors[w]}"/>`;
      });
      if (L.cell_font) {
        const lab = ws.length === 1 ? W.names[ws[0]] : "Σ";
        g += `<text x="${x + cs / 2}" y="${y + cs / 2}" font-size="${L.cell_font}" fill="${ws.length === 1 ? W.text[ws[0]] : "#000"}">${lab}</text>`;
      }
      s += g + "</g>";
    }
    for (const [x, y, w, h] of L.blocks) {
      s += `<rect class="block" x="${x}" y="${y}" width="${w}" height="${h}"/>`;
    }
    // the output vector to the right of the rows
    for (let r = 0; r < v.m; r++) {
      s += cellSvg("out", { row: r }, L.out_x, Y[r], cs - 1, cs - 1, "#ffffff",
                   L.vec_font ? v.row_short[r] : null, L.vec_font, "#222", "");
      if (L.labels) s += `<text class="idx" x="${L.idx_x}" y="${Y[r] + cs / 2}">${r}</text>`;
    }
    if (L.labels) {
      for (let c = 0; c < v.n; c++) s += `<text class="idx" x="${X[c] + cs / 2}" y="${L.idx_y}">${c}</text>`;
      s += `<text class="cap" x="${L.cap_x[0]}" y="${L.cap_x[1]}">x</text>`;
      s += `<text class="cap" x="${L.cap_y[0]}" y="${L.cap_y[1]}">y</text>`;
    }
    el("tcx-matrix").innerHTML =
      `<svg width="${L.width}" height="${L.height}" id="tcx-matrix-svg"${L.small ? ' class="small"' : ""}>${s}</svg>`;
  }

  function draw() {
    clear();
    markButtons();
    const k = keyOf(sel);
    V = D.variants[k] || null;
    if (!V) {
      el("tcx-title").textContent = "(unavailable)";
      el("tcx-info").textContent = D.unavailable[k] || "this combination is not available";
      for (const id of ["tcx-natural", "tcx-matrix"]) el(id).innerHTML = "";
      root.dataset.variant = "";
      return;
    }
    look = buildLookups(V);
    el("tcx-title").textContent = V.title;
    el("tcx-info").textContent = "Point at a matrix cell, an output or a weight.";
    drawNatural(V);
    drawMatrix(V);
    root.dataset.variant = k;
    if (window.frameElement) {
      try { window.frameElement.style.height = (document.documentElement.scrollHeight + 8) + "px"; }
      catch (e) { /* a cross-origin host: keep its height */ }
    }
  }

  // ------------------------------------------------------------------ highlighting
  const CLASSES = ["hl", "tied", "focus", "win", "src"];
  function clear() {
    for (const c of CLASSES) {
      for (const e of root.querySelectorAll("." + c)) {
        e.classList.remove(c);
        if (c === "win") e.firstChild.style.stroke = "";
      }
    }
    root.classList.remove("active");
  }
  const q = (s) => root.querySelectorAll(s);
  const mark = (s, c) => { for (const e of q(s)) e.classList.add(c); };
  const cellSel = (r, c) => `[data-kind="cell"][data-row="${r}"][data-col="${c}"]`;
  const names = (ws) => ws.map((w) => W.names[w]).join(" + ");

  function onCell(r, c) {
    const ws = look.cells.get(r + "," + c);
    for (const w of ws) {
      for (const [rr, cc] of look.byW.get(w)) mark(cellSel(rr, cc), "tied");
      mark(`[data-kind="weight"][data-w="${w}"]`, "hl");
    }
    mark(cellSel(r, c), "focus");
    mark(`[data-kind="in"][data-col="${c}"]`, "hl");
    mark(`[data-kind="out"][data-row="${r}"]`, "hl");
    const vals = ws.map((w) => W.values[w]);
    el("tcx-info").textContent = `A[${r}, ${c}] = ${names(ws)} (= ${vals.join(" + ")}):` +
      ` weight ${ws.map((w) => W.index[w]).join(", ")} multiplies ${V.col_labels[c]} into ${V.row_labels[r]}` +
      (ws.length > 1 ? " (the padding reads this input more than once)" : "");
  }

  function onOut(r) {
    mark(`[data-kind="out"][data-row="${r}"]`, "hl");
    const used = new Set();
    for (const [c, w] of look.byRow.get(r) || []) {
      mark(cellSel(r, c), "hl");
      mark(`[data-kind="in"][data-col="${c}"]`, "hl");
      used.add(w);
    }
    for (const w of used) mark(`[data-kind="weight"][data-w="${w}"]`, "hl");
    const nd = V.nd;
    let padded = 0, mapped = 0;
    for (const e of V.win[r]) {
      const ch = e[0], p = e.slice(1, 1 + nd).join(","), src = e[1 + nd], w = e[2 + nd];
      for (const g of q(`#tcx-natural-svg [data-ch="${ch}"][data-p="${p}"]`)) {
        g.classList.add("win");
        g.firstChild.style.stroke = W.colors[w];
        if (g.dataset.kind === "pad") {
          padded++;
          if (src >= 0) {
            mapped++;
            mark(`#tcx-natural-svg [data-kind="in"][data-col="${src}"]`, "src");
          }
        }
      }
    }
    el("tcx-info").textContent = `${V.row_labels[r]} = row ${r} of A: its kernel window` +
      ` covers ${V.win[r].length} input positions` +
      (padded ? `, ${padded} in the padding` + (mapped ? ` (read from the inputs outlined in red, ${V.boundary})` : " (zeros)") : "");
  }

  function onWeight(w) {
    mark(`[data-kind="weight"][data-w="${w}"]`, "focus");
    const pos = look.byW.get(w) || [];
    for (const [r, c] of pos) {
      mark(cellSel(r, c), "tied");
      mark(`[data-kind="in"][data-col="${c}"]`, "hl");
    }
    el("tcx-info").textContent = `${W.names[w]} = ${W.index[w]} = ${W.values[w]}` +
      ` is tied to ${pos.length} positions of A`;
  }

  function onIn(c) {
    mark(`[data-kind="in"][data-col="${c}"]`, "hl");
    const ws = new Set(), rs = new Set();
    for (const [r, w] of look.byCol.get(c) || []) {
      mark(cellSel(r, c), "hl");
      mark(`[data-kind="out"][data-row="${r}"]`, "hl");
      ws.add(w);
      rs.add(r);
    }
    for (const w of ws) mark(`[data-kind="weight"][data-w="${w}"]`, "hl");
    el("tcx-info").textContent = `${V.col_labels[c]} = column ${c} of A: read by ${rs.size}` +
      ` output${rs.size === 1 ? "" : "s"} through ${ws.size} weight${ws.size === 1 ? "" : "s"}`;
  }

  root.addEventListener("mouseover", (e) => {
    const t = e.target.closest("[data-kind]");
    clear();
    if (!t || !V) return;
    const d = t.dataset;
    if (d.kind === "cell") onCell(+d.row, +d.col);
    else if (d.kind === "out") onOut(+d.row);
    else if (d.kind === "weight") onWeight(+d.w);
    else if (d.kind === "in") onIn(+d.col);
    else if (d.kind === "pad" && +d.src >= 0) onIn(+d.src);
    else return;
    root.classList.add("active");
  });
  root.addEventListener("mouseleave", clear);

  controls();
  drawKernel();
  draw();
})();
