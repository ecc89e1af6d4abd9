// Experiments: trial counts, last activity, and the best value of a chosen metric (?metric=&goal=).
import { api, fmt, h, link, segment, setQuery, when } from "../app.js";

export async function render(main, { query }) {
  const metric = query.get("metric") || "";
  const goal = query.get("goal") === "min" ? "min" : "max";
  const experiments = await api("/experiments");
  const metricBox = h("input", { type: "text", name: "metric", value: metric, placeholder: "metric key, e.g. val_auc" });
  const goalBox = h("select", { name: "goal" }, h("option", { value: "max", selected: goal === "max" }, "highest"), h("option", { value: "min", selected: goal === "min" }, "lowest"));
  const apply = () => {
    setQuery({ metric: metricBox.value.trim(), goal: goalBox.value });
    main.replaceChildren();
    render(main, { query: new URLSearchParams(location.search) });
  };
  main.append(
    h("h1", {}, "Experiments"),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); apply(); } }, "best", goalBox, metricBox, h("button", { type: "submit" }, "show")),
  );
  const rows = await Promise.all(experiments.map((experiment) => summarise(experiment, metric, goal)));
  main.append(
    h("table", { class: "grid", id: "experiments" },
      h("thead", {}, h("tr", {}, ["experiment", "trials", "last activity", metric ? `${goal} ${metric}` : "best", "description"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.map(({ experiment, last, best }) =>
        h("tr", {},
          h("td", {}, link(`/experiments/${segment(experiment.name)}`, experiment.name)),
          h("td", { class: "num" }, experiment.trial_count),
          h("td", {}, when(last)),
          h("td", { class: "num" }, best === undefined ? "" : fmt(best)),
          h("td", { class: "muted" }, experiment.description || ""),
        ))),
    ),
  );
  if (!experiments.length) main.append(h("p", { class: "muted" }, "No experiments yet: track a run, or run `make demo`."));
}

async function summarise(experiment, metric, goal) {
  const recent = await api("/trials/search", { method: "POST", body: { experiment: experiment.name, order_by: "start_time DESC", max_results: 1 } });
  const last = recent.items.length ? recent.items[0].end_time || recent.items[0].start_time : experiment.created_at;
  if (!metric) return { experiment, last };
  const key = `metrics.\`${metric.replaceAll("`", "``")}\`.${goal}`;
  try {
    const best = await api("/trials/search", {
      method: "POST",
      body: { experiment: experiment.name, filter: `${key} IS NOT NULL`, order_by: `${key} ${goal === "max" ? "DESC" : "ASC"}`, max_results: 1 },
    });
    const summary = best.items.length ? best.items[0].metrics[metric] : undefined;
    return { experiment, last, best: summary ? summary[goal] : undefined };
  } catch {
    return { experiment, last };
  }
}
