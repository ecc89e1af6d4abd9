// Charts shared by the pages: metric curves over steps (ECharts, the global `echarts`).
//
// Nothing from the API becomes markup: ECharts draws names and values on a canvas, and the
// tooltips are built here with echarts.format.encodeHTML.
import { ApiError, api, fmt, segment } from "../app.js";

const observed = new WeakSet();

// The chart in `container` (reused if one is there), resized with its container.
export function chartIn(container) {
  const chart = echarts.getInstanceByDom(container) || echarts.init(container, null, { renderer: "canvas" });
  if (!observed.has(container) && typeof ResizeObserver === "function") {
    observed.add(container);
    new ResizeObserver(() => {
      const live = echarts.getInstanceByDom(container);
      if (live && !live.isDisposed()) live.resize();
    }).observe(container);
  }
  return chart;
}

export function escape(value) {
  return echarts.format.encodeHTML(typeof value === "string" ? value : fmt(value));
}

// Exponential moving average with TensorBoard's debiasing (the first points are not pulled to 0).
export function smooth(points, weight) {
  if (!(weight > 0)) return points;
  let last = 0;
  let count = 0;
  return points.map(([step, value]) => {
    if (!Number.isFinite(value)) return [step, value];
    count += 1;
    last = last * weight + (1 - weight) * value;
    return [step, last / (1 - weight ** count)];
  });
}

// Line chart of `series` ([{name, points: [[step, value], ...]}]) in `container` (a div.chart).
// smoothing in [0, 1): the EMA weight; log: a logarithmic y axis (points <= 0 are left out).
// Returns the echarts instance; drawing again into the same container replaces the chart.
export function metricCurves(container, series, { smoothing = 0, log = false } = {}) {
  const chart = chartIn(container);
  const weight = Math.min(Math.max(Number(smoothing) || 0, 0), 0.999);
  const many = series.reduce((n, s) => n + s.points.length, 0) > 5000;
  chart.setOption(
    {
      animation: !many,
      grid: { left: 64, right: 24, top: 40, bottom: 56 },
      legend: { type: "scroll", top: 4, textStyle: { width: 220, overflow: "truncate" }, tooltip: { show: true, formatter: (item) => escape(item.name) } },
      tooltip: {
        trigger: "axis",
        confine: true,
        formatter: (items) => {
          const list = Array.isArray(items) ? items : [items];
          if (!list.length) return "";
          const head = `step ${escape(list[0].value[0])}`;
          const lines = list.map((item) => `${item.marker}${escape(item.seriesName)}: <b>${escape(item.value[1])}</b>`);
          return [head, ...lines].join("<br>");
        },
      },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: log ? { type: "log", scale: true } : { type: "value", scale: true },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }],
      series: series.map((s) => {
        let points = s.points.filter(([step, value]) => Number.isFinite(step) && Number.isFinite(value));
        points = smooth(points, weight);
        if (log) points = points.filter(([, value]) => value > 0);
        return {
          type: "line",
          name: s.name,
          data: points,
          showSymbol: points.length <= 1,
          symbolSize: 6,
          sampling: "lttb",
          lineStyle: { width: 1.5 },
          emphasis: { focus: "series" },
        };
      }),
    },
    { notMerge: true },
  );
  return chart;
}

// The history of metric `key` of each run, as series for metricCurves: [{name, runId, points}].
// The name is the run's id (rename as you like); runs without the metric (404 or no points) are left out.
export async function loadCurves(runIds, key, maxPoints = 1000) {
  const answers = await Promise.all(
    runIds.map(async (runId) => {
      try {
        return [runId, await api(`/runs/${segment(runId)}/metric-history`, { params: { key, max_points: maxPoints } })];
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return [runId, null];
        throw error;
      }
    }),
  );
  const series = [];
  for (const [runId, history] of answers) {
    const points = historyPoints(history);
    if (points.length) series.push({ name: runId, runId, points });
  }
  return series;
}

// A metric-history answer as [[step, value], ...]: columns (steps/values) or a list of points.
function historyPoints(history) {
  if (!history) return [];
  if (Array.isArray(history.steps) && Array.isArray(history.values)) return history.steps.map((step, i) => [step, history.values[i]]);
  if (Array.isArray(history.points)) {
    return history.points.map((p) => (Array.isArray(p) ? [p[0], p[p.length - 1]] : [p.step, p.value]));
  }
  return [];
}
