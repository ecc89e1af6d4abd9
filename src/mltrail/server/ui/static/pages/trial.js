// One trial and its component runs: status, timings, the orchestrator's ids, hyperparameters,
// metric summaries and curves (one per component run), inputs and outputs, artifacts, code,
// environment and tags. ?metric=&smoothing=&log=1 keep the chart's state.
import { api, badge, h, link, segment, when } from "../app.js";
import {
  artifactsSection,
  codeTable,
  curvesSection,
  datasetsTable,
  duration,
  environmentTable,
  external,
  fieldList,
  lineageLink,
  metricsTable,
  orchestratorLinks,
  orchestratorSection,
  paramsTable,
  put,
  tagsTable,
  timings,
  trialNode,
  uiConfig,
} from "./run.js";

export async function render(main, { params, query }) {
  const { experiment, trial: name } = params;
  const [trial, config] = await Promise.all([
    api(`/experiments/${segment(experiment)}/trials/${segment(name)}`),
    uiConfig(),
  ]);
  document.title = `${trial.name} · trial · mltrail`;
  const runs = await Promise.all(trial.run_ids.map((id) => api(`/runs/${segment(id)}`)));
  runs.sort((a, b) => String(a.start_time).localeCompare(String(b.start_time)));
  const keys = Object.keys(trial.metrics).sort();

  put(main,
    h("p", { class: "muted crumbs" }, link("/", "Experiments"), " / ", link(`/experiments/${segment(experiment)}`, experiment), " / "),
    h("h1", { id: "trial-name" }, `${trial.name} `, badge(trial.status)),
    h("p", { class: "actions" }, lineageLink(trialNode(experiment, trial.name), "lineage", { direction: "descendants", depth: 2 }),
      " · ", h("span", { class: "muted" }, `trial of ${experiment} with ${runs.length} component run${runs.length === 1 ? "" : "s"}`)),
    h("h2", {}, "Overview"),
    fieldList([
      ["experiment", link(`/experiments/${segment(experiment)}`, experiment)],
      ["status", badge(trial.status)],
      ...timings(trial.start_time, trial.end_time),
      ["components", String(runs.length)],
    ], "overview"),
    orchestratorSection(trial.tags, config, { task: false }),
    h("h2", {}, "Components"),
    componentsTable(runs, config),
    h("h2", {}, "Hyperparameters"),
    paramsTable(trial.params),
    h("h2", {}, "Metrics"),
    metricsTable(trial.metrics),
  );
  await curvesSection(main, { runs, keys, query });
  put(main,
    h("h2", {}, "Inputs and outputs"),
    datasetsTable(runs),
    await artifactsSection(runs),
    h("h2", {}, "Code"),
    codeTable(runs),
    h("h2", {}, "Environment"),
    environmentTable(runs),
    h("h2", {}, "Tags"),
    tagsTable(trial.tags),
  );
}

function componentsTable(runs, config) {
  return h("table", { class: "grid", id: "components" },
    h("thead", {}, h("tr", {}, ["run", "kind", "status", "start", "duration", "task", ""].map((c) => h("th", {}, c)))),
    h("tbody", {}, runs.map((run) => {
      const seconds = run.end_time ? (new Date(run.end_time) - new Date(run.start_time)) / 1000 : null;
      return h("tr", { dataset: { run: run.id } },
        h("td", {}, link(`/runs/${segment(run.id)}`, run.name)),
        h("td", {}, run.kind),
        h("td", {}, badge(run.status)),
        h("td", {}, when(run.start_time)),
        h("td", { class: "num" }, seconds === null ? "" : duration(seconds)),
        h("td", {}, taskOf(run.tags, config)),
        h("td", {}, lineageLink(`run:${run.id}`)),
      );
    })),
  );
}

// The run's Airflow or KFP task, linked to the orchestrator's UI when the server knows it.
function taskOf(tags, config) {
  const text = tags["airflow.task_id"] || tags["kfp.task"] || "";
  const links = orchestratorLinks(tags, config);
  const href = tags["airflow.task_id"] ? links.airflow : links.kfp;
  if (!text) return "";
  return href ? external(href, text) : text;
}
