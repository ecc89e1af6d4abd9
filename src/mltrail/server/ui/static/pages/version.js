// One model version: every field, its links, its audit trail, its deployments, and the approval form.
//
// The Approve and Reject buttons follow the workflow (a pending version is approved or rejected;
// a decision can be reversed; nothing goes back to pending) and need a reason. The server decides:
// its refusal (403 for a token without the approver role, 400 for a forbidden transition) is shown
// as it says it, and a change it records redraws the status and the trail in place.
import { api, badge, errorBox, fmt, h, link, segment, when } from "../app.js";
import { deploymentsOf, deploymentsTable, experimentLink, metricSnapshot, runLink, trialLink } from "./model.js";

const PENDING = "PendingManualApproval";
const TRANSITIONS = { [PENDING]: ["Approved", "Rejected"], Approved: ["Rejected"], Rejected: ["Approved"] };

export async function render(main, { params }) {
  const name = params.model;
  const number = Number(params.version);
  const path = `/models/${segment(name)}/versions/${number}`;
  const [version, deployments] = await Promise.all([api(path), deploymentsOf(name, number)]);
  document.title = `${name} v${number} · Models · mltrail`;

  const heading = h("h1", {});
  const fields = h("dl", { class: "fields", id: "fields" });
  const trail = h("tbody", {});
  const message = h("div", { id: "approval-message" });
  const reason = h("textarea", { name: "reason", id: "reason", rows: 2, cols: 80, required: true, placeholder: "reason (required; kept in the audit trail)" });
  const approve = h("button", { type: "submit", value: "Approved", id: "approve" }, "Approve");
  const reject = h("button", { type: "submit", value: "Rejected", id: "reject" }, "Reject");
  let current = version;

  const draw = (v) => {
    current = v;
    heading.replaceChildren(`${v.model} v${v.version} `, badge(v.status));
    fields.replaceChildren(...describe(v));
    trail.replaceChildren(...v.history.map(trailRow));
    for (const button of [approve, reject]) {
      const allowed = (TRANSITIONS[v.status] || []).includes(button.value);
      button.disabled = !allowed;
      button.title = allowed ? `move ${v.status} → ${button.value}` : `the workflow does not allow ${v.status} → ${button.value}`;
    }
  };

  const decide = async (event) => {
    event.preventDefault();
    const status = event.submitter && event.submitter.value;
    const text = reason.value.trim();
    if (!status) return;
    if (!text) {
      message.replaceChildren(errorBox("a reason is required"));
      reason.focus();
      return;
    }
    approve.disabled = reject.disabled = true;
    message.replaceChildren(h("p", { class: "muted" }, "saving…"));
    try {
      const changed = await api(`${path}/approval`, { method: "POST", body: { status, reason: text } });
      reason.value = "";
      message.replaceChildren(h("p", { class: "ok", role: "status" }, `${changed.status}: added to the audit trail`));
      draw(changed);
    } catch (error) {
      message.replaceChildren(errorBox(error));
      // The page may be stale (someone else decided meanwhile): show the version as it is now.
      draw(await api(path).catch(() => current));
    }
  };

  draw(version);
  main.append(
    h("p", { class: "muted" }, link("/models", "Models"), " / ", link(`/models/${segment(name)}`, name), " / "),
    heading,
    fields,
    h("h2", {}, "Approval"),
    h("form", { class: "approval", id: "approval", novalidate: true, onsubmit: decide },
      h("label", { for: "reason" }, "Reason"),
      reason,
      h("div", { class: "toolbar" }, approve, reject),
    ),
    message,
    h("h2", {}, "Audit trail"),
    h("table", { class: "grid", id: "trail" },
      h("thead", {}, h("tr", {}, ["from", "to", "actor", "when", "reason"].map((c) => h("th", {}, c)))),
      trail,
    ),
    h("h2", {}, "Deployments of this version"),
    deployments.length
      ? h("div", { id: "deployments" }, deploymentsTable(deployments, { endpoint: true, version: false }))
      : h("p", { class: "muted", id: "deployments" }, "Not deployed."),
  );
}

function describe(v) {
  const lineage = `/lineage?node=${encodeURIComponent(`mltrail://models/${v.model}/versions/${v.version}`)}&direction=ascendants`;
  const none = () => h("span", { class: "muted" }, "none");
  const rows = [
    ["model", link(`/models/${segment(v.model)}`, v.model)],
    ["version", String(v.version)],
    ["status", badge(v.status)],
    ["source", h("code", {}, v.source_uri)],
    ["created", when(v.created_at)],
    ["updated", when(v.updated_at)],
    ["run", v.run_id ? runLink(v.run_id) : none()],
    ["experiment", v.experiment ? experimentLink(v.experiment) : none()],
    ["trials", v.experiment && v.trials.length ? joined(v.trials.map((t) => trialLink(v.experiment, t))) : none()],
    ["lineage", h("a", { href: lineage, "data-nav": true, id: "lineage-link" }, `mltrail://models/${v.model}/versions/${v.version}`, " (upstream)")],
    ["aliases", v.aliases.length ? joined(v.aliases.map((a) => h("span", { class: "alias" }, a))) : none()],
    ["description", v.description || none()],
    ["tags", Object.keys(v.tags || {}).length ? joined(Object.entries(v.tags).sort().map(([k, value]) => h("span", {}, h("span", { class: "muted" }, `${k}=`), fmt(value)))) : none()],
    ["metrics", Object.keys(v.metrics || {}).length ? metricSnapshot(v.metrics) : none()],
  ];
  return rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", { dataset: { field: label } }, value)]);
}

function trailRow(change) {
  return h("tr", {},
    h("td", {}, change.from_status ? badge(change.from_status) : h("span", { class: "muted" }, "—")),
    h("td", {}, badge(change.to_status)),
    h("td", {}, change.actor),
    h("td", {}, when(change.at)),
    h("td", { class: "wrap" }, change.reason || ""),
  );
}

function joined(items) {
  return items.flatMap((item, i) => (i ? [", ", item] : [item]));
}
