// One run (a trial component): status, timings, the orchestrator's ids, params, metric summaries
// and curves, inputs and outputs, artifacts (images and text previewed), code, environment, tags,
// and the OpenLineage events the store holds for it. ?metric=&smoothing=&log=1 keep the chart's state.
//
// The trial page draws its sections with the helpers exported here. Artifact text and event JSON
// are set as text (textContent), never parsed as markup.
import { API, ApiError, api, badge, blobUrl, errorBox, fmt, getToken, h, link, segment, setQuery, when } from "../app.js";
import { loadCurves, metricCurves } from "../lib/charts.js";

const EVENTS_PAGE = 50;
const PREVIEWS = 10;
const PREVIEW_BYTES = 1024 * 1024;
const IMAGE = /\.(png|jpe?g|gif|webp)$/i;
const TEXT = /\.(json|jsonl|txt|log|csv|tsv|md|ya?ml|toml|ini|cfg|py|sql|html?|xml|svg)$/i;

export async function render(main, { params, query }) {
  const id = params.run;
  document.title = `run ${id} · mltrail`;
  const [run, config] = await Promise.all([
    api(`/runs/${segment(id)}`).catch((error) => error),
    uiConfig(),
  ]);
  if (run instanceof Error) {
    // A run known only from OpenLineage events has no mltrail record, but has its events.
    if (!(run instanceof ApiError && run.status === 404)) throw run;
    put(main, h("h1", {}, `Run ${id}`), errorBox(run), h("p", {}, lineageLink(runNode(id), "lineage of this run")));
    put(main, await eventsSection(id));
    return;
  }
  document.title = `${run.name} · run · mltrail`;
  const keys = Object.keys(run.metrics).sort();

  put(main,
    h("p", { class: "muted crumbs" },
      link("/", "Experiments"), " / ", link(`/experiments/${segment(run.experiment)}`, run.experiment), " / ",
      run.trials.map((trial, i) => [i ? ", " : "", link(trialHref(run.experiment, trial), trial)]),
    ),
    h("h1", { id: "run-name" }, `${run.name} `, badge(run.status)),
    h("p", { class: "actions" }, lineageLink(runNode(run.id), "lineage"), " · ", h("span", { class: "muted" }, `${run.kind} run ${run.id}`)),
    run.error_message ? h("pre", { class: "error", id: "error-message", role: "alert" }, run.error_message) : null,
    h("h2", {}, "Overview"),
    fieldList([
      ["id", run.id],
      ["experiment", link(`/experiments/${segment(run.experiment)}`, run.experiment)],
      ["trials", run.trials.map((trial, i) => [i ? ", " : "", link(trialHref(run.experiment, trial), trial)])],
      ["kind", run.kind],
      ["status", badge(run.status)],
      ...timings(run.start_time, run.end_time),
      ["artifact URI", run.artifact_uri],
    ], "overview"),
    orchestratorSection(run.tags, config),
    h("h2", {}, "Hyperparameters"),
    paramsTable(run.params),
    h("h2", {}, "Metrics"),
    metricsTable(run.metrics),
  );
  await curvesSection(main, { runs: [run], keys, query });
  put(main,
    h("h2", {}, "Inputs and outputs"),
    datasetsTable([run]),
    await artifactsSection([run]),
    h("h2", {}, "Code"),
    codeTable([run]),
    h("h2", {}, "Environment"),
    environmentTable([run]),
    h("h2", {}, "Tags"),
    tagsTable(run.tags),
    await eventsSection(run.id),
  );
}

// Append children, leaving out null and undefined (Element.append would write them as text).
export function put(parent, ...children) {
  parent.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

// -- node ids and links ---------------------------------------------------------------------------

// Percent-encode what would change how a node id part reads back (as mltrail.core.lineage does).
function escapePart(part, colon) {
  const escaped = String(part).replaceAll("%", "%25").replaceAll("#", "%23");
  return colon ? escaped.replaceAll(":", "%3A") : escaped;
}

export function runNode(id) {
  return `run:${id}`;
}

export function datasetNode(namespace, name) {
  return `dataset:${escapePart(namespace, false)}:${escapePart(name, true)}`;
}

export function trialNode(experiment, trial) {
  return `trial:${escapePart(experiment, false)}:${escapePart(trial, true)}`;
}

export function lineageHref(node, { direction = "both", depth = 2 } = {}) {
  const search = new URLSearchParams({ node, direction, depth: String(depth) });
  return `/lineage?${search}`;
}

export function lineageLink(node, text = "lineage", options) {
  const a = link(lineageHref(node, options), text);
  a.classList.add("lineage-link");
  return a;
}

export function trialHref(experiment, trial) {
  return `/experiments/${segment(experiment)}/trials/${segment(trial)}`;
}

// -- the server's UI settings -----------------------------------------------------------------------

let configLoaded;

// {airflow_url, kfp_url}, asked once per page load ({} while the server cannot say).
export function uiConfig() {
  configLoaded ||= api("/ui/config").catch(() => {
    configLoaded = null;
    return {};
  });
  return configLoaded;
}

function webBase(url) {
  return typeof url === "string" && /^https?:\/\/[^/]/i.test(url) ? url.replace(/\/+$/, "") : null;
}

// Links to the orchestrator's UI from the Airflow and KFP ids the integrations record as tags, when
// the server knows its URL (airflow_url / kfp_url). `task: false` links to the DAG run only.
export function orchestratorLinks(tags, config, { task = true } = {}) {
  const links = { airflow: null, kfp: null };
  const dag = tags["airflow.dag_id"];
  const airflow = webBase(config.airflow_url);
  if (dag && airflow) {
    const dagRun = tags["airflow.run_id"];
    const taskId = tags["airflow.task_id"];
    const mapIndex = tags["airflow.map_index"];
    links.airflow = `${airflow}/dags/${segment(dag)}`;
    if (dagRun) {
      links.airflow += `/runs/${segment(dagRun)}`;
      if (task && taskId) {
        links.airflow += `/tasks/${segment(taskId)}`;
        if (mapIndex !== undefined && mapIndex !== "-1") links.airflow += `/mapped/${segment(mapIndex)}`;
      }
    }
  }
  const kfpRun = tags["kfp.run_id"];
  const kfp = webBase(config.kfp_url);
  if (kfpRun && kfp) links.kfp = `${kfp}/#/runs/details/${segment(kfpRun)}`;
  return links;
}

// The orchestrator's ids and the links back to it (or how to get them).
export function orchestratorSection(tags, config, { task = true } = {}) {
  const links = orchestratorLinks(tags, config, { task });
  const rows = [];
  if (tags["airflow.dag_id"]) {
    rows.push(["Airflow DAG", tags["airflow.dag_id"]], ["DAG run", tags["airflow.run_id"]]);
    if (task) rows.push(["task", tags["airflow.task_id"]], ["map index", tags["airflow.map_index"]], ["try", tags["airflow.try_number"]]);
    rows.push(["Airflow", links.airflow
      ? external(links.airflow, task ? "open the task in Airflow" : "open the DAG run in Airflow")
      : h("span", { class: "muted" }, "set MLTRAIL_AIRFLOW_URL on the server to link to Airflow")]);
  }
  if (tags["kfp.run_id"]) {
    rows.push(["KFP pipeline", tags["kfp.pipeline"]], ["KFP run", tags["kfp.run_id"]]);
    if (task) rows.push(["KFP task", tags["kfp.task"]]);
    rows.push(["Kubeflow", links.kfp
      ? external(links.kfp, "open the run in Kubeflow Pipelines")
      : h("span", { class: "muted" }, "set MLTRAIL_KFP_URL on the server to link to Kubeflow Pipelines")]);
  }
  if (!rows.length) return null;
  return h("section", { id: "orchestrator" }, h("h2", {}, "Orchestrator"), fieldList(rows, "orchestrator-ids"));
}

export function external(href, text) {
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "external" }, text);
}

// -- tables ---------------------------------------------------------------------------------------

export function fieldList(pairs, id) {
  return h("dl", { class: "fields", id },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([name, value]) => [h("dt", {}, name), h("dd", { dataset: { field: name } }, value instanceof Node || Array.isArray(value) ? value : fmt(value))]));
}

export function timings(start, end) {
  const seconds = start && end ? (new Date(end) - new Date(start)) / 1000 : null;
  return [["start", when(start)], ["end", end ? when(end) : h("span", { class: "muted" }, "running")], ["duration", seconds === null ? null : duration(seconds)]];
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${+seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function table(id, columns, rows, empty) {
  if (!rows.length) return h("p", { class: "muted", id }, empty);
  return h("table", { class: "grid", id },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) =>
      typeof cell === "number" ? h("td", { class: "num" }, fmt(cell)) : h("td", {}, cell instanceof Node || Array.isArray(cell) ? cell : fmt(cell)))))),
  );
}

export function paramsTable(params) {
  const keys = Object.keys(params).sort();
  return table("params", ["parameter", "value"], keys.map((key) => [key, h("code", {}, fmt(params[key]))]), "No hyperparameters.");
}

export function metricsTable(metrics) {
  const keys = Object.keys(metrics).sort();
  return table("metrics", ["metric", "last", "min", "max", "avg", "count", "last step", "non-finite"],
    keys.map((key) => {
      const m = metrics[key];
      return [key, m.last, m.min ?? "", m.max ?? "", m.avg ?? "", m.count, m.last_step, m.nonfinite_count || 0];
    }), "No metrics.");
}

export function tagsTable(tags) {
  const keys = Object.keys(tags).sort();
  return table("tags", ["tag", "value"], keys.map((key) => [key, tags[key]]), "No tags.");
}

function runCell(run, many) {
  return many ? [link(`/runs/${segment(run.id)}`, run.name)] : [];
}

export function datasetsTable(runs) {
  const many = runs.length > 1;
  const rows = [];
  for (const run of runs) {
    for (const [direction, list] of [["input", run.inputs], ["output", run.outputs]]) {
      for (const d of list) {
        rows.push([...runCell(run, many), direction, d.role || "", d.namespace, h("span", { title: d.uri }, d.name), lineageLink(datasetNode(d.namespace, d.name))]);
      }
    }
  }
  return table("datasets", [...(many ? ["run"] : []), "", "role", "namespace", "name", ""], rows, "No inputs or outputs.");
}

export function codeTable(runs) {
  const many = runs.length > 1;
  const rows = runs.filter((run) => run.code).map((run) => {
    const c = run.code;
    const repo = c.repo_url && /^https:\/\//i.test(c.repo_url) ? external(c.repo_url, c.repo_url) : c.repo_url || "";
    return [...runCell(run, many), c.commit ? h("code", {}, c.commit) : "", repo, c.branch || "", c.is_dirty === null || c.is_dirty === undefined ? "" : c.is_dirty ? "dirty" : "clean", c.entry_point || ""];
  });
  return table("code", [...(many ? ["run"] : []), "commit", "repository", "branch", "working tree", "entry point"], rows, "No code version recorded.");
}

export function environmentTable(runs) {
  const many = runs.length > 1;
  const rows = runs.filter((run) => run.environment).map((run) => {
    const e = run.environment;
    return [...runCell(run, many), e.host || "", e.os || "", e.python || "", e.cpu_count ?? "", e.memory_bytes ? bytes(e.memory_bytes) : "", e.instance_type || ""];
  });
  return table("environment", [...(many ? ["run"] : []), "host", "os", "python", "CPUs", "memory", "instance type"], rows, "No environment recorded.");
}

export function bytes(size) {
  if (size === null || size === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit ? `${value.toFixed(1)} ${units[unit]}` : `${value} B`;
}

// -- metric curves --------------------------------------------------------------------------------

// A metric picker and the chosen metric's curve for each run, appended to `parent` (drawn once in
// the page, so that ECharts measures a laid-out container).
export async function curvesSection(parent, { runs, keys, query }) {
  const section = h("section", { id: "curves-section" }, h("h2", {}, "Curves"));
  parent.append(section);
  if (!keys.length) {
    section.append(h("p", { class: "muted" }, "No metrics to draw."));
    return;
  }
  const asked = query.get("metric");
  const metric = h("select", { name: "metric", id: "metric" }, keys.map((key) => h("option", { value: key, selected: key === asked }, key)));
  const smoothing = h("input", { type: "number", name: "smoothing", min: "0", max: "0.99", step: "0.05", value: query.get("smoothing") || "0" });
  const log = h("input", { type: "checkbox", name: "log", checked: query.get("log") === "1" });
  const chart = h("div", { class: "chart", id: "curves" });
  const note = h("p", { class: "muted", id: "curves-note" });
  const names = new Map(runs.map((run) => [run.id, run.name]));
  const draw = async () => {
    const key = metric.value;
    try {
      const series = await loadCurves(runs.filter((run) => key in run.metrics).map((run) => run.id), key, 1000);
      for (const s of series) s.name = names.get(s.runId) || s.runId;
      metricCurves(chart, series, { smoothing: Number(smoothing.value) || 0, log: log.checked });
      note.replaceChildren(series.length ? "" : `No points of ${key}.`);
    } catch (error) {
      note.replaceChildren(errorBox(error));
    }
  };
  const changed = () => {
    setQuery({ metric: metric.value, smoothing: Number(smoothing.value) > 0 ? smoothing.value : null, log: log.checked ? "1" : null });
    draw();
  };
  metric.addEventListener("change", changed);
  smoothing.addEventListener("change", changed);
  log.addEventListener("change", changed);
  section.append(
    h("div", { class: "toolbar" }, h("label", {}, "metric ", metric), h("label", {}, "smoothing ", smoothing), h("label", {}, log, " log scale")),
    chart,
    note,
  );
  await draw();
}

// -- artifacts ------------------------------------------------------------------------------------

// The runs' artifact files (GET /runs/{id}/artifacts), images and text previewed, each downloadable.
export async function artifactsSection(runs) {
  const section = h("section", { id: "artifacts" }, h("h2", {}, "Artifacts"));
  const many = runs.length > 1;
  const listings = await Promise.all(runs.map((run) => api(`/runs/${segment(run.id)}/artifacts`).catch((error) => ({ error }))));
  const rows = [];
  const notes = [];
  const files = [];
  runs.forEach((run, i) => {
    const listing = listings[i];
    if (listing.error) notes.push(h("p", { class: "error" }, `${run.name}: ${listing.error.message}`));
    else if (!listing.path) notes.push(h("p", { class: "muted" }, many ? `${run.name}: ` : "", listing.reason || "artifacts not reachable from the server"));
    else {
      for (const file of listing.files) {
        const name = file.path.slice(listing.path.length + 1);
        files.push({ run, name, ...file });
        rows.push([...runCell(run, many), h("code", {}, name), bytes(file.size), downloadButton(file.path, name)]);
      }
      if (listing.is_truncated) notes.push(h("p", { class: "muted" }, `${run.name}: only the first ${listing.files.length} files are listed.`));
    }
  });
  section.append(table("artifact-files", [...(many ? ["run"] : []), "file", "size", ""], rows, "No artifact files."), ...notes);
  const previewable = files.filter((file) => IMAGE.test(file.name) || TEXT.test(file.name));
  const previews = h("div", { class: "previews" });
  section.append(previews);
  for (const file of previewable.slice(0, PREVIEWS)) previews.append(await preview(file, many));
  if (previewable.length > PREVIEWS) section.append(h("p", { class: "muted" }, `${previewable.length - PREVIEWS} more files can be previewed: download them.`));
  return section;
}

function artifactPath(path) {
  return `/artifacts/${path.split("/").map(segment).join("/")}`;
}

function downloadButton(path, name) {
  return h("button", {
    type: "button",
    class: "download",
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        const url = await blobUrl(artifactPath(path));
        const a = h("a", { href: url, download: name.split("/").pop() });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      } catch (error) {
        button.after(errorBox(error));
      } finally {
        button.disabled = false;
      }
    },
  }, "download");
}

async function preview(file, many) {
  const figure = h("figure", { class: "artifact-preview", dataset: { file: file.name } }, h("figcaption", {}, many ? `${file.run.name} · ` : "", file.name));
  if (file.size > PREVIEW_BYTES) {
    figure.append(h("p", { class: "muted" }, `${bytes(file.size)}: too large to preview, download it.`));
    return figure;
  }
  try {
    if (IMAGE.test(file.name)) {
      figure.append(h("img", { class: "preview", alt: file.name, src: await blobUrl(artifactPath(file.path)) }));
    } else {
      const pre = h("pre", { class: "preview" });
      pre.textContent = pretty(file.name, await fetchText(artifactPath(file.path)));
      figure.append(pre);
    }
  } catch (error) {
    figure.append(errorBox(error));
  }
  return figure;
}

function pretty(name, text) {
  if (!/\.json$/i.test(name)) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function fetchText(path) {
  const token = getToken();
  const response = await fetch(API + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new ApiError(response.status, `${response.status} ${response.statusText}`);
  return response.text();
}

// -- OpenLineage events ---------------------------------------------------------------------------

// The events the store holds for a run, oldest first, each a collapsible block of JSON text.
export async function eventsSection(runId) {
  const list = h("div", { class: "events", id: "events-list" });
  const more = h("button", { type: "button", id: "more-events", hidden: true }, "more events");
  const summary = h("p", { class: "muted", id: "events-summary" });
  const section = h("section", { id: "events" }, h("h2", {}, "OpenLineage events"), summary, list, more);
  let loaded = 0;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api(`/runs/${segment(runId)}/events`, { params: { limit: EVENTS_PAGE, offset: loaded } });
      loaded += page.items.length;
      list.append(...page.items.map(eventBlock));
      summary.replaceChildren(page.total
        ? `${page.total} event${page.total === 1 ? "" : "s"} stored for this run, oldest first.`
        : "No OpenLineage events are stored for this run: runs tracked through the SDK are written to the store directly. Send OpenLineage events to mltrail (its transport, or POST /api/v1/lineage) to keep them.");
      more.hidden = loaded >= page.total;
    } catch (error) {
      summary.replaceChildren(errorBox(error));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
  return section;
}

function eventBlock(event) {
  const job = event.job ? `${event.job.namespace} / ${event.job.name}` : "";
  const pre = h("pre", { class: "preview event-json" });
  pre.textContent = JSON.stringify(event, null, 2);
  return h("details", { class: "event" },
    h("summary", {}, h("strong", {}, event.eventType || event.kind || "event"), ` ${when(event.eventTime)} · ${job}`,
      event.producer ? h("span", { class: "muted" }, ` · ${event.producer}`) : null),
    pre,
  );
}
