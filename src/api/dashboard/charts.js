// Small SVG charts for the reputation page: stacked bars over time, a line, horizontal
// bars. No library, no network: every chart is drawn from the numbers it is given.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function title(e, text) { el("title", {}, e).textContent = text; }
  function nice(max) {
    if (max <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(max)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
    return 10 * p;
  }
  function empty(container, text) {
    container.replaceChildren();
    const p = document.createElement("p");
    p.className = "muted"; p.textContent = text || "No posts in this period.";
    container.appendChild(p);
  }
  // points: [{start, label, values: {key: n}}]; keys: [{key, color, name}];
  // markers: [{start, text}] drawn as ▲ above the bar of their bucket.
  function stackedBars(container, points, keys, opts) {
    opts = opts || {};
    if (!points.length || points.every(p => keys.every(k => !(p.values[k.key] > 0)))) return empty(container);
    const W = 900, H = 240, L = 40, B = 28, T = 14;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label || "chart", "data-chart": opts.name || "" });
    const totals = points.map(p => keys.reduce((s, k) => s + (p.values[k.key] || 0), 0));
    // Counts: four grid steps of whole posts.
    const max = Math.max(4, Math.ceil(nice(Math.max(...totals)) / 4) * 4);
    const bw = (W - L - 4) / points.length;
    for (let i = 0; i <= 4; i++) {
      const y = T + (H - T - B) * (1 - i / 4);
      el("line", { x1: L, x2: W, y1: y, y2: y, stroke: "#e3e7ec" }, svg);
      el("text", { x: L - 4, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#5f6b7a" }, svg).textContent = String(Math.round(max * i / 4));
    }
    points.forEach((p, i) => {
      let y = H - B;
      const x = L + i * bw + bw * 0.1, w = Math.max(1, bw * 0.8);
      const g = el("g", { class: "bar", "data-start": p.start }, svg);
      for (const k of keys) {
        const n = p.values[k.key] || 0;
        if (!n) continue;
        const h = (H - T - B) * n / max;
        y -= h;
        const r = el("rect", { x, y, width: w, height: h, fill: k.color }, g);
        title(r, `${p.label}: ${n} ${k.name}`);
      }
      if (opts.onClick) g.addEventListener("click", () => opts.onClick(p));
      const every = Math.ceil(points.length / 12);
      if (i % every === 0) el("text", { x: x + w / 2, y: H - 10, "text-anchor": "middle", "font-size": 11, fill: "#5f6b7a" }, svg).textContent = p.label;
    });
    for (const m of opts.markers || []) {
      const i = points.findIndex(p => p.start <= m.start && m.start < p.start + (opts.width || 86400));
      if (i < 0) continue;
      const x = L + i * bw + bw / 2;
      const mk = el("text", { x, y: T - 1, "text-anchor": "middle", "font-size": 13, fill: "#b3261e", class: "spike" }, svg);
      mk.textContent = "▲"; title(mk, m.text);
    }
    container.replaceChildren(svg);
  }
  // points: [{label, value|null}] over [-1, 1].
  function line(container, points, opts) {
    opts = opts || {};
    const vals = points.filter(p => p.value !== null);
    if (!vals.length) return empty(container);
    const W = 900, H = 160, L = 40, B = 24, T = 10;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label || "line", "data-chart": opts.name || "" });
    const y = v => T + (H - T - B) * (1 - (v + 1) / 2);
    for (const v of [-1, 0, 1]) {
      el("line", { x1: L, x2: W, y1: y(v), y2: y(v), stroke: v === 0 ? "#95a0ad" : "#e3e7ec" }, svg);
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5f6b7a" }, svg).textContent = String(v);
    }
    const step = (W - L - 4) / points.length;
    const xy = points.map((p, i) => p.value === null ? null : [L + step * (i + 0.5), y(p.value)]);
    let d = "", pen = false;
    for (const c of xy) { if (!c) { pen = false; continue; } d += (pen ? "L" : "M") + c[0].toFixed(1) + " " + c[1].toFixed(1); pen = true; }
    el("path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 2 }, svg);
    xy.forEach((c, i) => { if (c) title(el("circle", { cx: c[0], cy: c[1], r: 3, fill: "#0b5cad" }, svg), `${points[i].label}: ${points[i].value.toFixed(2)}`); });
    container.replaceChildren(svg);
  }
  // rows: [{label, value, note, color}]
  function hbars(container, rows, opts) {
    opts = opts || {};
    if (!rows.length) return empty(container);
    const W = 440, R = 24, L = 130, H = rows.length * R + 6;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label || "bars", "data-chart": opts.name || "" });
    const max = Math.max(...rows.map(r => r.value)) || 1;
    rows.forEach((r, i) => {
      const g = el("g", { class: opts.onClick ? "bar" : "" }, svg);
      el("text", { x: L - 6, y: i * R + 17, "text-anchor": "end", "font-size": 12, fill: "#1d2430" }, g).textContent = r.label.length > 20 ? r.label.slice(0, 19) + "…" : r.label;
      const w = Math.max(1, (W - L - 90) * r.value / max);
      title(el("rect", { x: L, y: i * R + 5, width: w, height: R - 8, fill: r.color || "#0b5cad", rx: 2 }, g), `${r.label}: ${r.note || r.value}`);
      el("text", { x: L + w + 5, y: i * R + 17, "font-size": 11, fill: "#5f6b7a" }, g).textContent = r.note || String(r.value);
      if (opts.onClick) g.addEventListener("click", () => opts.onClick(r));
    });
    container.replaceChildren(svg);
  }
  return { stackedBars, line, hbars, empty };
})();
