// Kiban status page: fetches /v1/status?subject=&as_of= and draws cards, a Leaflet map (no tiles), tables and
// uPlot charts on a real time axis (JST). Libraries are vendored (/status/assets/); nothing else is requested.
"use strict";

const STATUS_JA = { fresh: "最新", due: "更新時期", overdue: "遅延", none: "報告なし" };
const MAP_JA = { reported: "報告あり", overdue: "遅延", silent: "未報告" };
const COLOURS = { reported: "#1a7f37", overdue: "#c62828", silent: "#6a1b9a", outside: "#b7bec7" };

const state = { subject: null, asOf: null, map: null, layer: null, plots: [] };

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

// axis labels stay short: 13.3万, 1,200, 97.5
const COMPACT = new Intl.NumberFormat("ja-JP", { notation: "compact", maximumFractionDigits: 1 });
function axisNumber(v, unit) {
  return Math.abs(v) >= 10000 ? COMPACT.format(v) : fmtNumber(v, unit);
}

// "9/14 12:00" at the first tick and where the day changes, else "14:00" (JST, 24 h)
function axisTime(s, prev) {
  const j = new Date(s * 1000 + 9 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  const hm = `${p(j.getUTCHours())}:${p(j.getUTCMinutes())}`;
  const day = (t) => new Date(t * 1000 + 9 * 3600 * 1000).getUTCDate();
  return prev === null || day(prev) !== j.getUTCDate() ? `${j.getUTCMonth() + 1}/${j.getUTCDate()} ${hm}` : hm;
}

function card(k) {
  // nobody reported this type at all: grey "報告なし", not a red alarm and not 未確認
  const f = k.coverage.reporting === 0 ? "none" : k.freshness.status;
  const c = el("div", { class: `card ${f}`, "data-indicator": k.indicator_id, "data-freshness": f });
  c.append(el("div", { class: "name" }, k.name_ja));
  const value = el("div", { class: "value" });
  value.append(el("span", { class: "num", "data-value": k.value === null ? "" : String(k.value) },
    k.coverage.reporting === 0 ? "—" : fmtNumber(k.value, k.unit)));
  value.append(el("span", { class: "unit" }, k.unit));
  c.append(value);
  const a = k.affected_coverage;
  c.append(el("div", { class: "acov", "data-reported": a.reported, "data-expected": a.expected },
    `被災地域 ${a.reported} / ${a.expected}`));
  c.append(el("div", { class: "cov", "data-reported": k.coverage.reported, "data-expected": k.coverage.expected },
    `全国 ${k.coverage.reported} / ${k.coverage.expected} 団体 報告` +
    (k.coverage.unknown ? ` (未確認 ${k.coverage.unknown})` : "")));
  c.append(el("div", { class: "asof" }, `最古の時点 ${fmtTime(k.oldest_as_of)}`));
  c.append(el("span", { class: `status f-${f}` }, `${STATUS_JA[f]} ${f}`));
  return c;
}

function prefectureRows(data) {
  const tbody = document.querySelector("#prefectures tbody");
  tbody.replaceChildren();
  for (const p of data.prefectures) {
    const tr = el("tr", { "data-pref": p.code, class: p.affected ? "affected" : "" });
    tr.append(el("td", { class: "pref" }, `${p.code} ${p.name}`));
    for (const t of data.types) {
      const c = p.types[t];
      tr.append(el("td", { class: `cov f-${c.freshness}`, "data-type": t, "data-reporting": c.reporting,
        title: `最古の時点 ${fmtTime(c.oldest_as_of)} / ${STATUS_JA[c.freshness]}` }, `${c.reporting} / ${c.expected}`));
    }
    tbody.append(tr);
  }
}

function silentList(data) {
  const count = document.getElementById("silent-count");
  count.textContent = `${data.silent.length} 団体 (${data.active_prefectures.length} 都道府県)`;
  count.setAttribute("data-count", data.silent.length);
  const ul = document.getElementById("silent");
  ul.replaceChildren();
  for (const s of data.silent) {
    const li = el("li", { "data-lg": s.lg_code });
    li.append(el("span", { class: "code" }, s.lg_code));
    li.append(document.createTextNode(`${s.prefecture_name} ${s.name}`));
    ul.append(li);
  }
}

function affectedLine(data) {
  const names = data.prefectures.filter((p) => p.affected).map((p) => p.name);
  const a = data.affected;
  const line = document.getElementById("affected");
  line.setAttribute("data-expected", a.expected);
  line.textContent = names.length
    ? `被災地域 ${names.join("・")}: ${a.expected} 団体のうち 報告あり ${a.reported} · 遅延 ${a.overdue} · 未報告 ${a.silent}`
    : "被害即報はまだありません (no damage report yet)";
}

function drawMap(data) {
  if (!state.map) {
    state.map = L.map("map", { zoomSnap: 0.25, worldCopyJump: false, scrollWheelZoom: false });
    state.map.attributionControl.setPrefix("Leaflet");
    state.layer = L.layerGroup().addTo(state.map);
  }
  state.layer.clearLayers();
  // the view first: Leaflet draws (and gives elements to) markers only once the map has one
  state.map.invalidateSize();
  const area = data.municipalities.map((m) => [m.lat, m.lon]);
  const all = area.length ? area : data.context.map(([lon, lat]) => [lat, lon]);
  if (all.length) state.map.fitBounds(all, { padding: [20, 20], maxZoom: 10, animate: false });
  else state.map.setView([36.5, 137.5], 4.5, { animate: false });
  for (const [lon, lat] of data.context) {
    L.circleMarker([lat, lon], { radius: 2, stroke: false, fillColor: COLOURS.outside, fillOpacity: 0.8,
      interactive: false, className: "m m-outside" }).addTo(state.layer);
  }
  let approx = 0;
  for (const m of data.municipalities) {
    const marker = L.circleMarker([m.lat, m.lon], { radius: m.status === "silent" ? 5 : 6, weight: 1,
      color: "#ffffff", fillColor: COLOURS[m.status], fillOpacity: 0.9, dashArray: m.approx ? "2 2" : null,
      className: `m m-${m.status}` }).addTo(state.layer);
    marker.bindTooltip(`${m.name} (${m.lg_code}) ${MAP_JA[m.status]}` + (m.as_of ? ` 時点 ${fmtTime(m.as_of)}` : ""));
    const path = marker.getElement();
    if (path) {
      path.setAttribute("data-lg", m.lg_code);
      path.setAttribute("data-status", m.status);
    }
    approx += m.approx ? 1 : 0;
  }
  for (const s of ["reported", "overdue", "silent"]) document.getElementById(`n-${s}`).textContent = data.affected[s];
  document.getElementById("approx-note").textContent = approx
    ? `${approx} 団体は ABR 代表点がないため、都道府県庁の周りに概略の位置で表示 (点線)。`
    : "";
}

function chart(k, points, win) {
  const box = el("div", { class: "chart", "data-indicator": k.indicator_id });
  box.append(el("h3", {}, k.name_ja.includes(`(${k.unit})`) ? k.name_ja : `${k.name_ja} (${k.unit})`));
  const pts = points.filter((p) => p.value !== null);
  box.setAttribute("data-points", pts.length);
  if (pts.length === 0) {
    box.append(el("div", { class: "empty" }, "この期間の時系列なし (no series in the event window)"));
    return { box, make: null };
  }
  const xs = pts.map((p) => Date.parse(p.as_known_at) / 1000);
  const ys = pts.map((p) => p.value);
  const x0 = win.start ? Date.parse(win.start) / 1000 : xs[0];
  const x1 = win.end ? Date.parse(win.end) / 1000 : xs[xs.length - 1];
  box.setAttribute("data-x0", String(x0));
  box.setAttribute("data-x1", String(x1));
  const plotBox = el("div", { class: "plot" });
  box.append(plotBox);
  const make = () => {
    const width = Math.max(200, plotBox.clientWidth);
    const opts = {
      width, height: 150, legend: { show: false }, cursor: { drag: { x: false, y: false } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Asia/Tokyo"),
      scales: { x: { time: true, range: () => [x0, x1 > x0 ? x1 : x0 + 3600] },
        y: { range: (u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.1 : 1] } },
      axes: [{ stroke: "#555", size: 30, grid: { stroke: "#eef0f3" }, font: "10px sans-serif",
          values: (u, splits) => splits.map((s, i) => axisTime(s, i === 0 ? null : splits[i - 1])) },
        { stroke: "#555", size: 50, grid: { stroke: "#eef0f3" }, font: "10px sans-serif",
          values: (u, vals) => vals.map((v) => axisNumber(v, k.unit)) }],
      series: [{}, { label: k.name_ja, stroke: "#14213d", width: 2, points: { show: true, size: 5, fill: "#14213d" } }],
    };
    return new uPlot(opts, [xs, ys], plotBox);
  };
  return { box, make };
}

function drawCharts(data) {
  for (const p of state.plots) p.destroy();
  state.plots = [];
  const made = data.key.map((k) => chart(k, data.series[k.indicator_id] || [], data.window));
  document.getElementById("charts").replaceChildren(...made.map((m) => m.box));
  for (const m of made) {
    if (!m.make) continue;
    const plot = m.make();
    m.box.plot = plot; // the chart's live uPlot instance (its scales are what the axis shows)
    state.plots.push(plot);
  }
}

function pickers(data) {
  const subject = document.getElementById("subject");
  subject.replaceChildren(el("option", { value: "all" }, "全災害 all"));
  for (const s of data.subjects) {
    subject.append(el("option", { value: s.key }, s.name === s.key ? s.key : `${s.name} (${s.key})`));
  }
  subject.value = data.subject;
  const asOf = document.getElementById("as-of");
  asOf.replaceChildren(el("option", { value: "" }, "現在 now"));
  const times = [...data.times];
  if (data.as_known_at && !times.includes(data.as_known_at)) times.push(data.as_known_at);
  for (const t of times.sort()) asOf.append(el("option", { value: t }, fmtTime(t)));
  asOf.value = data.as_known_at || "";
}

function query() {
  const q = new URLSearchParams();
  if (state.subject) q.set("subject", state.subject);
  if (state.asOf) q.set("as_of", state.asOf);
  return q.toString();
}

async function load() {
  const status = document.getElementById("load-state");
  status.setAttribute("data-loaded", "0");
  try {
    const q = query();
    const res = await fetch("/v1/status" + (q ? `?${q}` : ""));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    document.getElementById("as-known-at").textContent = data.as_known_at ? fmtTime(data.as_known_at) : "現在 now";
    document.getElementById("generated-at").textContent = fmtTime(data.generated_at);
    pickers(data);
    affectedLine(data);
    document.getElementById("key-totals").replaceChildren(...data.key.map(card));
    drawMap(data);
    prefectureRows(data);
    silentList(data);
    drawCharts(data);
    status.textContent = `更新 ${fmtTime(data.generated_at)}`;
    status.className = "state";
    status.setAttribute("data-loaded", "1");
    status.setAttribute("data-query", q);
  } catch (e) {
    status.textContent = `読み込み失敗 (failed to load): ${e.message}`;
    status.className = "state error";
  }
}

function onPick() {
  state.subject = document.getElementById("subject").value || null;
  state.asOf = document.getElementById("as-of").value || null;
  history.replaceState(null, "", location.pathname + (query() ? `?${query()}` : ""));
  load();
}

const initial = new URLSearchParams(location.search);
state.subject = initial.get("subject");
state.asOf = initial.get("as_of");
document.getElementById("subject").addEventListener("change", onPick);
document.getElementById("as-of").addEventListener("change", onPick);
window.addEventListener("resize", () => {
  for (const p of state.plots) p.setSize({ width: Math.max(200, p.root.parentNode.clientWidth), height: 150 });
  if (state.map) state.map.invalidateSize();
});
load();
// "now" moves: refresh every 30 s; a past as_of does not change
setInterval(() => { if (!state.asOf) load(); }, 30000);
