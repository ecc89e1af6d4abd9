// Compare trials: parallel coordinates (brush an axis to narrow everything else), a scatter of
// any two columns, and metric curves over steps.
//
// The URL's query holds the view: trial=… (repeated; none: every trial of the experiment, up to
// MAX_TRIALS), axis=… (repeated, in order; absent: the defaults; one empty axis: none), x=, y=
// (the scatter's columns), metric= (the curves' metric), smooth= (0–0.99), log=1.
// Column ids are the leaderboard's: params.C, metrics.val_auc.max, duration.
import { api, errorBox, fmt, go, h, link, segment } from "../app.js";
import { chartIn, escape, loadCurves, metricCurves } from "../lib/charts.js";
import { cellValue, column, columnTitle, fill, inFilters, metricColumn } from "./leaderboard.js";

const MAX_TRIALS = 5000;
const PAGE = 1000;
const MAX_CURVES = 100;
const MAX_LIST = 200;
const DEFAULT_PARAM_AXES = 6;
const DEFAULT_METRIC_AXES = 4;
const AGGREGATES = ["last", "min", "max"];

// -- state in the URL -------------------------------------------------------------------------

function readState(query) {
  const smooth = Number(query.get("smooth"));
  return {
    trials: query.getAll("trial").filter(Boolean),
    axes: query.has("axis") ? query.getAll("axis").filter(Boolean) : null,
    x: query.get("x") || "",
    y: query.get("y") || "",
    metric: query.get("metric") || "",
    smooth: Number.isFinite(smooth) ? Math.min(Math.max(smooth, 0), 0.99) : 0,
    log: query.get("log") === "1",
  };
}

function writeState(state) {
  const params = new URLSearchParams();
  for (const name of state.trials) params.append("trial", name);
  if (state.axes !== null) {
    if (!state.axes.length) params.append("axis", "");
    for (const id of state.axes) params.append("axis", id);
  }
  if (state.x) params.set("x", state.x);
  if (state.y) params.set("y", state.y);
  if (state.metric) params.set("metric", state.metric);
  if (state.smooth) params.set("smooth", String(state.smooth));
  if (state.log) params.set("log", "1");
  const search = params.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

// -- data -------------------------------------------------------------------------------------

// The named trials (in batches of IN lists), or every trial of the experiment: pages of PAGE in
// sequence, up to MAX_TRIALS. `progress(n)` hears how many have come.
async function fetchTrials(experiment, names, progress) {
  const trials = [];
  let more = false;
  if (names.length) {
    for (const filter of inFilters("name", names.slice(0, MAX_TRIALS))) {
      const page = await api("/trials/search", { method: "POST", body: { experiment, filter, order_by: "start_time DESC", max_results: 1000 } });
      trials.push(...page.items);
      progress(trials.length);
    }
    more = names.length > MAX_TRIALS;
  } else {
    let token;
    do {
      const body = { experiment, order_by: "start_time DESC", max_results: Math.min(PAGE, MAX_TRIALS - trials.length) };
      if (token) body.page_token = token;
      const page = await api("/trials/search", { method: "POST", body });
      trials.push(...page.items);
      token = page.next_page_token;
      progress(trials.length);
    } while (token && trials.length < MAX_TRIALS);
    more = Boolean(token);
  }
  return { trials, more };
}

// Every column the trials have values for, and each column's values and type (numbers or
// categories), built once: 5,000 trials × the columns.
function describe(trials) {
  const params = new Set();
  const metrics = new Map(); // key → [trials with it, most points]
  for (const trial of trials) {
    for (const key of Object.keys(trial.params || {})) params.add(key);
    for (const [key, summary] of Object.entries(trial.metrics || {})) {
      const seen = metrics.get(key) || [0, 0];
      metrics.set(key, [seen[0] + 1, Math.max(seen[1], summary.count || 0)]);
    }
  }
  const metricKeys = [...metrics.keys()].sort((a, b) => metrics.get(b)[0] - metrics.get(a)[0] || a.localeCompare(b));
  const ids = [
    ...[...params].sort().map((key) => `params.${key}`),
    ...metricKeys.flatMap((key) => AGGREGATES.map((agg) => metricColumn(key, agg))),
    "duration",
  ];
  const columns = new Map();
  for (const id of ids) {
    const col = column(id);
    const raw = trials.map((trial) => cellValue(trial, col));
    const present = raw.filter((v) => v !== undefined && v !== null);
    if (!present.length) continue;
    const numeric = present.every((v) => typeof v === "number");
    let values = raw.map((v) => (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v)) ? null : v));
    let categories = null;
    if (!numeric) {
      values = values.map((v) => (v === null ? null : typeof v === "string" ? v : fmt(v)));
      categories = [...new Set(values.filter((v) => v !== null))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    } else {
      values = values.map((v) => (v === null || Number.isFinite(v) ? v : null));
    }
    columns.set(id, { id, col, title: columnTitle(col), numeric, values, categories });
  }
  const curveMetrics = [...metrics.keys()].sort((a, b) => metrics.get(b)[1] - metrics.get(a)[1] || metrics.get(b)[0] - metrics.get(a)[0] || a.localeCompare(b));
  return { columns, params: [...params].sort(), metrics: metricKeys, curveMetrics };
}

// -- the page ---------------------------------------------------------------------------------

export async function render(main, { params, query }) {
  const experiment = params.experiment;
  document.title = `Compare · ${experiment} · mltrail`;
  let state = readState(query);
  const base = `/experiments/${segment(experiment)}`;
  const back = new URLSearchParams();
  for (const name of state.trials) back.append("sel", name);

  const progress = h("p", { class: "muted", id: "status" }, "loading trials…");
  main.append(
    h("p", { class: "crumbs muted" }, link("/", "Experiments"), " / ", link(`${base}${back.toString() ? `?${back}` : ""}`, experiment), " / compare"),
    h("h1", {}, `Compare · ${experiment}`),
    progress,
  );
  const { trials, more } = await fetchTrials(experiment, state.trials, (n) => { progress.textContent = `loading trials… ${n}`; });
  const missing = state.trials.length ? state.trials.filter((name) => !trials.some((t) => t.name === name)) : [];
  fill(progress,
    state.trials.length ? `${trials.length} selected trials` : `all ${trials.length} trials of the experiment${more ? ` (the newest ${MAX_TRIALS})` : ""}`,
    missing.length ? h("span", { class: "error" }, ` · not found: ${missing.join("; ")}`) : null,
  );
  if (!trials.length) {
    main.append(h("p", { class: "empty muted" }, state.trials.length ? "None of these trials exist." : "No trials in this experiment yet."));
    return;
  }
  const data = describe(trials);
  const has = (id) => data.columns.has(id);
  const defaultAxes = () => [
    ...data.params.map((k) => `params.${k}`).filter(has).slice(0, DEFAULT_PARAM_AXES),
    ...data.metrics.map((k) => metricColumn(k)).filter(has).slice(0, DEFAULT_METRIC_AXES),
  ];
  const firstOf = (prefix) => [...data.columns.keys()].find((id) => id.startsWith(prefix)) || "";
  const axes = () => (state.axes === null ? defaultAxes() : state.axes).filter(has);
  if (!has(state.x)) state.x = firstOf("params.") || [...data.columns.keys()][0];
  if (!has(state.y)) state.y = firstOf("metrics.") || [...data.columns.keys()][0];
  if (!data.curveMetrics.includes(state.metric)) state.metric = data.curveMetrics[0] || "";
  writeState(state);

  let active = trials.map((_, i) => i); // the brushed trials' indices (all when nothing is brushed)
  const options = (selected) => [...data.columns.values()].map((c) => h("option", { value: c.id, selected: c.id === selected }, c.title));

  // -- parallel coordinates -------------------------------------------------------------------
  const axisList = h("ol", { class: "axes", id: "axes", "aria-label": "parallel axes" });
  const addAxis = h("select", { id: "add-axis", "aria-label": "add an axis", onchange: () => {
    if (addAxis.value) setAxes([...axes(), addAxis.value]);
  } });
  const brushInfo = h("span", { class: "muted", id: "brush-info" });
  const parallelBox = h("div", { class: "chart parallel", id: "parallel" });
  const resetBrush = h("button", { type: "button", id: "reset-brush", onclick: () => drawParallel() }, "clear brush");

  // -- scatter --------------------------------------------------------------------------------
  const xBox = h("select", { id: "scatter-x", "aria-label": "scatter x", onchange: () => { state = { ...state, x: xBox.value }; writeState(state); drawScatter(); } }, options(state.x));
  const yBox = h("select", { id: "scatter-y", "aria-label": "scatter y", onchange: () => { state = { ...state, y: yBox.value }; writeState(state); drawScatter(); } }, options(state.y));
  const scatterBox = h("div", { class: "chart", id: "scatter" });

  // -- curves ---------------------------------------------------------------------------------
  const metricBox = h("select", { id: "curve-metric", "aria-label": "metric", onchange: () => { state = { ...state, metric: metricBox.value }; writeState(state); loadAndDrawCurves(); } },
    data.curveMetrics.map((key) => h("option", { value: key, selected: key === state.metric }, key)));
  const smoothValue = h("output", { id: "smoothing-value" }, state.smooth.toFixed(2));
  const smoothBox = h("input", { type: "range", id: "smoothing", min: "0", max: "0.99", step: "0.01", value: String(state.smooth), "aria-label": "smoothing",
    oninput: () => { state = { ...state, smooth: Number(smoothBox.value) }; smoothValue.textContent = state.smooth.toFixed(2); writeState(state); drawCurves(); } });
  const logBox = h("input", { type: "checkbox", id: "log", checked: state.log, onchange: () => { state = { ...state, log: logBox.checked }; writeState(state); drawCurves(); } });
  const curvesBox = h("div", { class: "chart", id: "curves" });
  const curvesInfo = h("p", { class: "muted", id: "curves-info" });

  const listInfo = h("span", { class: "muted", id: "list-info" });
  const listArea = h("div", { class: "table-wrap list" });

  main.append(
    h("section", { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, "Parallel coordinates"), brushInfo, resetBrush),
      h("div", { class: "toolbar axis-editor" }, h("span", { class: "muted" }, "axes"), axisList, addAxis),
      parallelBox,
      h("p", { class: "muted hint" }, "Drag along an axis to brush a range; the scatter, the curves and the list below show the trials in range."),
    ),
    h("div", { class: "columns" },
      h("section", { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", {}, "Scatter")),
        h("div", { class: "toolbar" }, h("label", {}, "x ", xBox), h("label", {}, "y ", yBox)),
        scatterBox,
      ),
      h("section", { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", {}, "Metric curves")),
        h("div", { class: "toolbar" },
          h("label", {}, "metric ", metricBox),
          h("label", {}, "smoothing ", smoothBox, " ", smoothValue),
          h("label", {}, logBox, " log scale"),
        ),
        data.curveMetrics.length ? curvesBox : h("p", { class: "empty muted" }, "These trials have no metrics."),
        curvesInfo,
      ),
    ),
    h("section", { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, "Trials in range"), listInfo),
      listArea,
    ),
  );

  function setAxes(next) {
    state = { ...state, axes: next };
    writeState(state);
    drawAxisEditor();
    drawParallel();
  }

  function drawAxisEditor() {
    const list = axes();
    axisList.replaceChildren(...list.map((id, i) => h("li", { class: "chip", dataset: { axis: id } },
      h("button", { type: "button", class: "move", title: "move left", "aria-label": `move ${id} left`, disabled: i === 0, onclick: () => {
        const next = [...list];
        [next[i - 1], next[i]] = [next[i], next[i - 1]];
        setAxes(next);
      } }, "←"),
      h("span", { class: "label" }, data.columns.get(id).title),
      h("button", { type: "button", class: "move", title: "move right", "aria-label": `move ${id} right`, disabled: i === list.length - 1, onclick: () => {
        const next = [...list];
        [next[i + 1], next[i]] = [next[i], next[i + 1]];
        setAxes(next);
      } }, "→"),
      h("button", { type: "button", class: "remove", title: "remove", "aria-label": `remove ${id}`, onclick: () => setAxes(list.filter((x) => x !== id)) }, "×"),
    )));
    fill(addAxis,
      h("option", { value: "" }, "add an axis…"),
      [...data.columns.values()].filter((c) => !list.includes(c.id)).map((c) => h("option", { value: c.id }, c.title)),
    );
    addAxis.value = "";
  }

  function drawParallel() {
    const list = axes().map((id) => data.columns.get(id));
    const chart = chartIn(parallelBox);
    active = trials.map((_, i) => i);
    if (!list.length) {
      chart.clear();
      chart.setOption({ title: { text: "Add an axis to draw the parallel coordinates", left: "center", top: "middle", textStyle: { color: "#667085", fontSize: 13, fontWeight: "normal" } } }, { notMerge: true });
      afterBrush();
      return;
    }
    const colorDim = list.map((c) => c.numeric).lastIndexOf(true);
    const many = trials.length > 500;
    const rows = trials.map((_, i) => list.map((c) => c.values[i]));
    chart.setOption({
      animation: false,
      parallel: { left: 60, right: colorDim >= 0 ? 150 : 60, top: 56, bottom: 28, parallelAxisDefault: {
        nameLocation: "end", nameGap: 16, nameTextStyle: { fontSize: 12, width: 140, overflow: "truncate" },
        areaSelectStyle: { width: 16 }, realtime: !many,
      } },
      parallelAxis: list.map((c, dim) => (c.numeric
        ? { dim, id: c.id, name: c.title, type: "value", scale: true }
        : { dim, id: c.id, name: c.title, type: "category", data: c.categories })),
      visualMap: colorDim >= 0 ? {
        type: "continuous", dimension: colorDim, seriesIndex: 0, right: 8, top: "middle", itemHeight: 160, calculable: false,
        min: Math.min(...list[colorDim].values.filter((v) => v !== null)), max: Math.max(...list[colorDim].values.filter((v) => v !== null)),
        text: [list[colorDim].title.slice(0, 24), ""], textStyle: { fontSize: 11 }, precision: 4,
        inRange: { color: ["#3b5bdb", "#22b8cf", "#fab005", "#e03131"] },
      } : undefined,
      tooltip: { show: false },
      series: [{
        type: "parallel", name: "trials", data: rows, smooth: false,
        lineStyle: { width: many ? 0.6 : 1.5, opacity: many ? 0.25 : 0.6 },
        inactiveOpacity: 0.04, activeOpacity: 0.9,
        progressive: many ? 800 : 0, progressiveThreshold: 2000,
        emphasis: { disabled: true },
      }],
    }, { notMerge: true });
    chart.off("axisareaselected");
    chart.on("axisareaselected", () => {
      active = brushed(chart);
      afterBrush();
    });
    afterBrush();
  }

  // The indices of the trials inside every brushed range (all of them when nothing is brushed).
  function brushed(chart) {
    const series = chart.getModel().getSeriesByIndex(0);
    const inRange = series.getRawIndicesByActiveState("active");
    const outside = series.getRawIndicesByActiveState("inactive");
    return inRange.length || outside.length ? inRange : trials.map((_, i) => i);
  }

  let pending = 0;
  function afterBrush() {
    brushInfo.textContent = active.length === trials.length ? `${trials.length} trials` : `${active.length} of ${trials.length} trials in range`;
    resetBrush.disabled = active.length === trials.length;
    clearTimeout(pending);
    drawScatter();
    drawList();
    pending = setTimeout(loadAndDrawCurves, 200);
  }

  function drawScatter() {
    const chart = chartIn(scatterBox);
    const x = data.columns.get(state.x);
    const y = data.columns.get(state.y);
    if (!x || !y) {
      chart.clear();
      return;
    }
    const position = (c, i) => (c.numeric ? c.values[i] : c.categories.indexOf(c.values[i]));
    const points = [];
    for (const i of active) if (x.values[i] !== null && y.values[i] !== null) points.push([position(x, i), position(y, i), i]);
    const axis = (c) => (c.numeric
      ? { type: "value", scale: true, name: c.title, nameLocation: "middle", nameGap: 36 }
      : { type: "category", data: c.categories, name: c.title, nameLocation: "middle", nameGap: 36, axisLabel: { width: 110, overflow: "truncate" } });
    chart.setOption({
      animation: points.length < 1000,
      grid: { left: 72, right: 24, top: 24, bottom: 56 },
      xAxis: axis(x),
      yAxis: { ...axis(y), nameGap: 56 },
      tooltip: {
        trigger: "item", confine: true,
        formatter: (item) => {
          const i = item.value[2];
          return `<b>${escape(trials[i].name)}</b><br>${escape(x.title)}: ${escape(x.values[i])}<br>${escape(y.title)}: ${escape(y.values[i])}`;
        },
      },
      series: [{ type: "scatter", name: "trials", data: points, symbolSize: points.length > 1000 ? 4 : 9, large: points.length > 2000, itemStyle: { color: "#2f6fde", opacity: 0.75 } }],
    }, { notMerge: true });
    chart.off("click");
    chart.on("click", (item) => {
      if (item && item.value) go(`${base}/trials/${segment(trials[item.value[2]].name)}`);
    });
  }

  function drawList() {
    const list = axes().map((id) => data.columns.get(id));
    const shown = active.slice(0, MAX_LIST);
    listInfo.textContent = active.length > MAX_LIST ? `the first ${MAX_LIST} of ${active.length}` : `${active.length}`;
    fill(listArea,
      h("table", { class: "grid", id: "compare-trials" },
        h("thead", {}, h("tr", {}, h("th", {}, "trial"), list.map((c) => h("th", { dataset: { column: c.id } }, c.title)))),
        h("tbody", {}, shown.map((i) => h("tr", { dataset: { trial: trials[i].name } },
          h("td", { class: "name" }, link(`${base}/trials/${segment(trials[i].name)}`, trials[i].name)),
          list.map((c) => h("td", { class: c.numeric ? "num" : undefined }, fmt(c.values[i]))),
        ))),
      ),
      active.length ? null : h("p", { class: "empty muted" }, "No trial is inside every brushed range."),
    );
  }

  // -- curves: the histories of the metric in the runs of the first MAX_CURVES trials in range --
  const histories = new Map(); // `${metric}\n${runId}` → Promise<series[]>
  let curves = [];
  let curvesDrawn = 0;

  async function loadAndDrawCurves() {
    if (!data.curveMetrics.length) return;
    const mine = ++curvesDrawn;
    const metric = state.metric;
    const chosen = active.filter((i) => trials[i].metrics && trials[i].metrics[metric]).slice(0, MAX_CURVES);
    curvesInfo.textContent = "loading curves…";
    try {
      const loaded = await Promise.all(chosen.map(async (i) => {
        const trial = trials[i];
        const perRun = await Promise.all((trial.run_ids || []).map((runId) => {
          const key = `${metric}\n${runId}`;
          if (!histories.has(key)) histories.set(key, loadCurves([runId], metric).catch((error) => { histories.delete(key); throw error; }));
          return histories.get(key);
        }));
        const found = perRun.flat();
        return found.map((s) => ({ ...s, name: found.length > 1 ? `${trial.name} · run ${s.runId.slice(-6)}` : trial.name }));
      }));
      if (mine !== curvesDrawn) return;
      curves = loaded.flat();
      const inRange = active.filter((i) => trials[i].metrics && trials[i].metrics[metric]).length;
      curvesInfo.textContent = !curves.length
        ? "No trial in range has a history of this metric."
        : inRange > MAX_CURVES ? `the curves of the first ${MAX_CURVES} of ${inRange} trials in range` : `${chosen.length} trials`;
      drawCurves();
    } catch (error) {
      if (mine === curvesDrawn) curvesInfo.replaceChildren(errorBox(error));
    }
  }

  function drawCurves() {
    if (!data.curveMetrics.length) return;
    const chart = metricCurves(curvesBox, curves, { smoothing: state.smooth, log: state.log });
    // Trial names often share a long prefix (the DAG run's id): the legend shows what differs.
    const prefix = sharedPrefix(curves.map((s) => s.name));
    if (prefix.length >= 8) chart.setOption({ legend: { formatter: (name) => (name.length > prefix.length ? `…${name.slice(prefix.length)}` : name) } });
  }

  drawAxisEditor();
  drawParallel();
}

// The leading text every name shares, cut back to a space ("" for fewer than two names).
function sharedPrefix(names) {
  if (names.length < 2) return "";
  let prefix = names[0];
  for (const name of names.slice(1)) {
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i += 1;
    prefix = prefix.slice(0, i);
  }
  const cut = prefix.lastIndexOf(" ");
  return cut > 0 ? prefix.slice(0, cut + 1) : "";
}
