// One registered model: its versions newest first, and its deployments per endpoint.
//
// Also exports the deployment helpers the version page uses: a deployment is a completed run of
// kind `deployment` whose tags name the endpoint, the model, the version and the target.
import { api, badge, fmt, h, link, segment, when } from "../app.js";

export async function render(main, { params }) {
  const name = params.model;
  const [versions, deployments] = await Promise.all([
    api(`/models/${segment(name)}/versions`),
    deploymentsOf(name),
  ]);
  document.title = `${name} · Models · mltrail`;
  const approved = versions.find((v) => v.status === "Approved");
  main.append(
    h("p", { class: "muted" }, link("/models", "Models"), " / "),
    h("h1", {}, name),
    h("p", { class: "muted" },
      `${versions.length} version${versions.length === 1 ? "" : "s"} · latest approved: `,
      approved ? link(versionUrl(name, approved.version), `v${approved.version}`) : "none"),
    h("h2", {}, "Versions"),
    versionsTable(name, versions),
    h("h2", {}, "Deployments"),
    deploymentsSection(deployments),
  );
}

function versionsTable(name, versions) {
  const columns = ["version", "status", "created", "source run", "experiment", "trials", "aliases", "metrics"];
  return h("table", { class: "grid", id: "versions" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
    h("tbody", {}, versions.map((v) =>
      h("tr", { dataset: { version: String(v.version) } },
        h("td", {}, link(versionUrl(name, v.version), `v${v.version}`)),
        h("td", {}, badge(v.status)),
        h("td", {}, when(v.created_at)),
        h("td", {}, v.run_id ? runLink(v.run_id) : h("span", { class: "muted" }, "none")),
        h("td", {}, v.experiment ? experimentLink(v.experiment) : ""),
        h("td", { class: "wrap" }, v.experiment ? list(v.trials.map((t) => trialLink(v.experiment, t))) : ""),
        h("td", {}, list(v.aliases.map((alias) => h("span", { class: "alias" }, alias)))),
        h("td", { class: "wrap" }, metricSnapshot(v.metrics)),
      ))),
  );
}

function deploymentsSection(deployments) {
  if (!deployments.length) return h("p", { class: "muted", id: "deployments" }, "Not deployed yet.");
  const byEndpoint = new Map();
  for (const d of deployments) {
    if (!byEndpoint.has(d.endpoint)) byEndpoint.set(d.endpoint, []);
    byEndpoint.get(d.endpoint).push(d);
  }
  return h("div", { id: "deployments" }, [...byEndpoint].map(([endpoint, rows]) => {
    const now = rows[0].current;
    return h("section", { class: "endpoint", dataset: { endpoint } },
      h("h3", {}, "endpoint ", h("code", {}, endpoint), " ", servingNote(now, rows[0].model)),
      deploymentsTable(rows, { endpoint: false, version: true }),
    );
  }));
}

function servingNote(now, model) {
  if (!now) return null;
  const what = now.model === model ? `v${now.version}` : `${now.model} v${now.version}`;
  return h("span", { class: "muted serving-now" }, `serves ${what} now (since ${when(now.at)})`);
}

// A table of deployments, newest first; the row of the deployment its endpoint serves now is marked.
export function deploymentsTable(rows, { endpoint = true, version = true } = {}) {
  const columns = [endpoint && "endpoint", version && "version", "target", "deployed", "now", "run"].filter((c) => c !== false);
  return h("table", { class: "grid deployments" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((d) => {
      const serving = d.current && d.current.run_id === d.run_id;
      return h("tr", { class: serving ? "serving" : null, dataset: { endpoint: d.endpoint, version: String(d.version) } },
        endpoint ? h("td", {}, d.endpoint) : null,
        version ? h("td", {}, link(versionUrl(d.model, d.version), `v${d.version}`)) : null,
        h("td", {}, d.target),
        h("td", {}, when(d.at)),
        h("td", {}, serving ? h("span", { class: "badge Approved" }, "serving now") : ""),
        h("td", {}, runLink(d.run_id)),
      );
    })),
  );
}

// The model's deployments, newest first, each with `current`: its endpoint's newest deployment
// (of any model), i.e. what the endpoint serves now.
export async function deploymentsOf(model, version) {
  let filter = `kind = 'deployment' AND status = 'Completed' AND tags.\`model.name\` = ${literal(model)}`;
  if (version !== undefined) filter += ` AND tags.\`model.version\` = ${literal(String(version))}`;
  const runs = await searchAll(filter);
  const endpoints = [...new Set(runs.map((run) => run.tags.endpoint))];
  const current = new Map(await Promise.all(endpoints.map(async (endpoint) => {
    const newest = await api("/runs/search", {
      method: "POST",
      body: { filter: `kind = 'deployment' AND status = 'Completed' AND tags.endpoint = ${literal(endpoint)}`, order_by: "start_time DESC", max_results: 1 },
    });
    return [endpoint, newest.items.length ? deployment(newest.items[0]) : null];
  })));
  return runs.map((run) => ({ ...deployment(run), current: current.get(run.tags.endpoint) }));
}

async function searchAll(filter) {
  const runs = [];
  let token;
  do {
    const page = await api("/runs/search", { method: "POST", body: { filter, order_by: "start_time DESC", max_results: 1000, page_token: token } });
    runs.push(...page.items);
    token = page.next_page_token;
  } while (token);
  return runs;
}

function deployment(run) {
  return { endpoint: run.tags.endpoint, model: run.tags["model.name"], version: Number(run.tags["model.version"]), target: run.tags.target, run_id: run.id, at: run.start_time };
}

// A string in the search language: single quotes, doubled inside.
export function literal(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

export function versionUrl(model, version) {
  return `/models/${segment(model)}/versions/${version}`;
}

export function runLink(id) {
  return link(`/runs/${segment(id)}`, h("code", {}, id));
}

export function experimentLink(experiment) {
  return link(`/experiments/${segment(experiment)}`, experiment);
}

export function trialLink(experiment, trial) {
  return link(`/experiments/${segment(experiment)}/trials/${segment(trial)}`, trial);
}

function list(items) {
  return items.flatMap((item, i) => (i ? [", ", item] : [item]));
}

export function metricSnapshot(metrics) {
  const keys = Object.keys(metrics || {}).sort();
  return list(keys.map((key) => h("span", { class: "metric" }, h("span", { class: "muted" }, `${key} `), fmt(metrics[key]))));
}
