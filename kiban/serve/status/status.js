// Kiban status page: fetches /v1/status and draws tables and hand-written SVG charts (no external libraries).
"use strict";

const STATUS_JA = { fresh: "最新", due: "更新時期", overdue: "遅延", none: "報告なし" };
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtNumber(v, unit) {
  if (v === null || v === undefined) return "未確認";
  const digits = unit === "%" || unit === "回" || unit === "円/人" ? 1 : 0;
  return Number(v).toLocaleString("ja-JP", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  // shown in JST (UTC+9), the time the reporting municipalities use
  const j = new Date(d.getTime() + 9 * 3600 * 1000);
  return `${j.getUTCFullYear()}-${p(j.getUTCMonth() + 1)}-${p(j.getUTCDate())} ${p(j.getUTCHours())}:${p(j.getUTCMinutes())} JST`;
}

function card(k) {
  // nobody reported this type at all: grey "報告なし", not a red alarm and not 未確認
  const f = k.coverage.reporting === 0 ? "none" : k.freshness.status;
  const c = el("div", { class: `card ${f}`, "data-indicator": k.indicator_id, "data-freshness": f });
  c.append(el("div", { class: "name" }, `${k.name_ja} `));
  const value = el("div", { class: "value" });
  value.append(el("span", { class: "num", "data-value": k.value === null ? "" : String(k.value) },
    k.coverage.reporting === 0 ? "—" : fmtNumber(k.value, k.unit)));
  value.append(el("span", { class: "unit" }, k.unit));
  c.append(value);
  c.append(el("div", { class: "cov", "data-reported": k.coverage.reported, "data-expected": k.coverage.expected },
    `${k.coverage.reported} / ${k.coverage.expected} 団体 報告` +
    (k.coverage.unknown ? ` (未確認 ${k.coverage.unknown})` : "")));
  c.append(el("div", { class: "asof" }, `最古の時点 ${fmtTime(k.oldest_as_of)}`));
  c.append(el("span", { class: `status f-${f}` }, `${STATUS_JA[f]} ${f}`));
  return c;
}

function prefectureRows(data) {
  const tbody = document.querySelector("#prefectures tbody");
  tbody.replaceChildren();
  for (const p of data.prefectures) {
    const tr = el("tr", { "data-pref": p.code });
    tr.append(el("td", {}, `${p.code} ${p.name}`));
    for (const t of data.types) {
      const c = p.types[t];
      const td = el("td", { class: `cov f-${c.freshness}`, "data-type": t, "data-reporting": c.reporting,
        title: `最古の時点 ${fmtTime(c.oldest_as_of)} / ${STATUS_JA[c.freshness]}` }, `${c.reporting} / ${c.expected}`);
      tr.append(td);
    }
    tbody.append(tr);
  }
}

function silentList(data) {
  document.getElementById("silent-count").textContent =
    `${data.silent.length} 団体 (${data.active_prefectures.length} 都道府県)`;
  document.getElementById("silent-count").setAttribute("data-count", data.silent.length);
  const ul = document.getElementById("silent");
  ul.replaceChildren();
  for (const s of data.silent) {
    const li = el("li", { "data-lg": s.lg_code });
    li.append(el("span", { class: "code" }, s.lg_code));
    li.append(document.createTextNode(`${s.prefecture_name} ${s.name}`));
    ul.append(li);
  }
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function chart(k, points) {
  const box = el("div", { class: "chart", "data-indicator": k.indicator_id });
  box.append(el("h3", {}, k.name_ja.includes(`(${k.unit})`) ? k.name_ja : `${k.name_ja} (${k.unit})`));
  const pts = points.filter((p) => p.value !== null);
  if (pts.length === 0) {
    box.append(el("div", { class: "empty" }, "時系列なし (no series yet)"));
    return box;
  }
  const W = 320, H = 150, L = 48, R = 8, T = 8, B = 22;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": k.name_ja });
  const xs = pts.map((p) => Date.parse(p.as_known_at));
  const ys = pts.map((p) => p.value);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(0, ...ys), y1 = Math.max(...ys);
  if (y1 === y0) y1 = y0 + 1;
  const X = (x) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const Y = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  for (const frac of [0, 0.5, 1]) {
    const yv = y0 + (y1 - y0) * frac;
    s.append(svg("line", { x1: L, x2: W - R, y1: Y(yv), y2: Y(yv), stroke: "#e3e6ea" }));
    s.append(svg("text", { x: L - 4, y: Y(yv) + 4, "text-anchor": "end", "font-size": 10, fill: "#555" },
      fmtNumber(yv, k.unit)));
  }
  s.append(svg("text", { x: L, y: H - 6, "font-size": 10, fill: "#555" }, fmtTime(pts[0].as_known_at)));
  s.append(svg("text", { x: W - R, y: H - 6, "font-size": 10, fill: "#555", "text-anchor": "end" },
    fmtTime(pts[pts.length - 1].as_known_at)));
  const d = pts.map((p, i) => `${i ? "L" : "M"}${X(xs[i]).toFixed(1)},${Y(p.value).toFixed(1)}`).join(" ");
  s.append(svg("path", { d, fill: "none", stroke: "#14213d", "stroke-width": 2 }));
  pts.forEach((p, i) => {
    const c = svg("circle", { cx: X(xs[i]), cy: Y(p.value), r: 2.5, fill: `var(--${p.freshness || "none"})` });
    c.append(svg("title", {}, `${fmtTime(p.as_known_at)}: ${fmtNumber(p.value, k.unit)} (${p.reported}/${p.expected})`));
    s.append(c);
  });
  box.append(s);
  return box;
}

async function load() {
  const state = document.getElementById("load-state");
  const asOf = new URLSearchParams(location.search).get("as_of");
  try {
    const res = await fetch("/v1/status" + (asOf ? `?as_of=${encodeURIComponent(asOf)}` : ""));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    document.getElementById("as-known-at").textContent = data.as_known_at ? fmtTime(data.as_known_at) : "現在 now";
    document.getElementById("generated-at").textContent = fmtTime(data.generated_at);
    const cards = document.getElementById("key-totals");
    cards.replaceChildren(...data.key.map(card));
    prefectureRows(data);
    silentList(data);
    document.getElementById("charts").replaceChildren(...data.key.map((k) => chart(k, data.series[k.indicator_id] || [])));
    state.textContent = `更新 ${fmtTime(data.generated_at)}`;
    state.setAttribute("data-loaded", "1");
  } catch (e) {
    state.textContent = `読み込み失敗 (failed to load): ${e.message}`;
    state.className = "state error";
  }
}

load();
setInterval(load, 30000);
