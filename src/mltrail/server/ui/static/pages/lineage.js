// The lineage explorer: a Cytoscape graph from any node, grown step by step.
//
// URL state: ?node=<node id or dataset URI>&direction=ascendants|descendants|both&depth=N
// &granularity=run|job&selected=<node id>. A plain URI (mltrail://endpoints/fraud-detection)
// is read by the server as the dataset it names, and the URL then holds that node's id.
// Neighbourhoods come in pages of at most PAGE_SIZE nodes: the rest is one "more" click away
// (for the first query, and per node and direction for expansions), so a huge graph is drawn a
// readable piece at a time. Labels are drawn by Cytoscape on a canvas; the side panel sets every
// value as text. Tests reach the graph as document.querySelector(".graph")._cy or window.mltrailGraph.
import { ApiError, api, errorBox, fmt, go, h, link, query, segment, setQuery, when } from "../app.js";

const PAGE_SIZE = 200;
const MAX_DRAWN = 3000;
const COLUMN = 160; // px between levels
const ROW = 64; // px between the nodes of a level
const MIN_READABLE_ZOOM = 0.6;
const DIRECTIONS = ["ascendants", "descendants", "both"];
const KINDS = {
  dataset: { color: "#2f6fde", shape: "round-rectangle", label: "dataset" },
  "model version": { color: "#7a3fd1", shape: "round-rectangle", label: "model version" },
  endpoint: { color: "#157f3b", shape: "round-rectangle", label: "endpoint" },
  run: { color: "#e07b00", shape: "ellipse", label: "run" },
  job: { color: "#b42318", shape: "diamond", label: "job" },
  trial: { color: "#0e9384", shape: "hexagon", label: "trial" },
  experiment: { color: "#475467", shape: "octagon", label: "experiment" },
  context: { color: "#c11574", shape: "tag", label: "context" },
};
const MODEL_VERSION = /^(.+)\/versions\/(\d+)$/;

export async function render(main, { query: initial }) {
  if (window.mltrailGraph && !window.mltrailGraph.destroyed()) window.mltrailGraph.destroy();
  const state = {
    node: (initial.get("node") || "").trim(),
    direction: DIRECTIONS.includes(initial.get("direction")) ? initial.get("direction") : "both",
    depth: clampDepth(initial.get("depth")),
    granularity: initial.get("granularity") === "job" ? "job" : "run",
  };
  document.title = "Lineage · mltrail";

  const nodeBox = h("input", { type: "text", name: "node", value: state.node, placeholder: "node id or URI: dataset:ns:name, run:<uuid>, s3://bucket/key, mltrail://endpoints/…", "aria-label": "start node" });
  const directionBox = h("select", { name: "direction", "aria-label": "direction" },
    DIRECTIONS.map((d) => h("option", { value: d, selected: d === state.direction }, { ascendants: "upstream", descendants: "downstream", both: "both ways" }[d])));
  const depthBox = h("input", { type: "number", name: "depth", min: "0", max: "100", value: String(state.depth), "aria-label": "depth", class: "depth" });
  const granularityBox = h("select", { name: "granularity", "aria-label": "granularity" },
    h("option", { value: "run", selected: state.granularity === "run" }, "runs"),
    h("option", { value: "job", selected: state.granularity === "job" }, "jobs"));
  const submit = () => {
    const search = new URLSearchParams();
    if (nodeBox.value.trim()) search.set("node", nodeBox.value.trim());
    search.set("direction", directionBox.value);
    search.set("depth", String(clampDepth(depthBox.value)));
    search.set("granularity", granularityBox.value);
    if (query().get("selected")) search.set("selected", query().get("selected"));
    go(`/lineage?${search}`);
  };
  // Changing the view redraws from the start node (the selection stays when it is drawn again).
  for (const box of [directionBox, granularityBox]) box.addEventListener("change", submit);

  const messages = h("span", { id: "lineage-messages", class: "lineage-messages" });
  const status = h("span", { class: "muted", id: "lineage-status" });
  const moreButton = h("button", { type: "button", id: "more-nodes", hidden: true }, `more (next ${PAGE_SIZE} nodes)`);
  const fitButton = h("button", { type: "button", id: "fit" }, "fit");
  const container = h("div", { class: "graph", id: "graph", role: "img", "aria-label": "lineage graph" });
  const panel = h("aside", { class: "node-panel", id: "node-panel" });
  const nodeList = h("ul", { class: "node-list" });
  const nodeCount = h("span", {});
  main.append(
    h("h1", {}, "Lineage"),
    h("form", { class: "toolbar", id: "lineage-form", onsubmit: (e) => { e.preventDefault(); submit(); } },
      nodeBox, directionBox, h("label", {}, "depth ", depthBox), granularityBox, h("button", { type: "submit" }, "show")),
    h("div", { class: "toolbar lineage-bar" }, status, moreButton, fitButton, messages),
    h("div", { class: "lineage-layout" }, container, panel),
    legend(),
    h("details", { class: "node-index" }, h("summary", {}, "nodes drawn ", nodeCount), nodeList),
  );
  if (!state.node) {
    panel.append(h("p", { class: "muted" }, "Start from a node: a dataset URI (s3://bucket/key, mltrail://endpoints/<name>, mltrail://models/<model>/versions/<n>), or a node id (dataset:<namespace>:<name>, job:<namespace>:<name>, run:<uuid>, experiment:<name>, trial:<experiment>:<name>)."));
    return;
  }

  const cy = cytoscape({
    container,
    elements: [],
    style: graphStyle(),
    minZoom: 0.05,
    maxZoom: 4,
    boxSelectionEnabled: false,
    autounselectify: true,
  });
  container._cy = cy;
  window.mltrailGraph = cy;

  const known = new Map(); // node id → {id, type, depth, data}
  const edges = new Map(); // edge key → edge, drawn once both its ends are
  const pending = new Map(); // `${node id}|${direction}` → page token of the rest of that neighbourhood
  const startText = state.node; // the next pages of the first query repeat it as it was sent
  let initialToken = null;
  let selected = initial.get("selected") || "";

  // Merge one page of a lineage answer; return how many nodes were new.
  const merge = (page) => {
    const added = [];
    for (const node of page.nodes) {
      if (known.has(node.id)) continue;
      if (known.size >= MAX_DRAWN) {
        note(`${MAX_DRAWN} nodes drawn: start from a node further in, or lower the depth, to see more.`);
        break;
      }
      known.set(node.id, node);
      added.push({ group: "nodes", data: nodeData(node) });
    }
    cy.add(added);
    const links = [];
    for (const edge of page.edges) {
      const key = `${edge.origin}\u0000${edge.destination}\u0000${edge.type}`;
      if (!edges.has(key)) edges.set(key, edge);
    }
    for (const [key, edge] of edges) {
      if (cy.getElementById(key).nonempty() || !known.has(edge.origin) || !known.has(edge.destination)) continue;
      links.push({ group: "edges", data: { id: key, source: edge.origin, target: edge.destination, type: edge.type } });
    }
    cy.add(links);
    return added.length;
  };

  const layout = () => {
    cy.resize();
    if (!cy.nodes().length) return;
    const roots = cy.nodes().filter((n) => n.indegree(false) === 0);
    const from = roots.nonempty() ? roots : cy.nodes(".start");
    const { levels, widest } = levelsOf(cy, from);
    cy.layout({
      name: "breadthfirst",
      directed: true,
      roots: from,
      fit: false,
      animate: false,
      // breadthfirst stacks the levels top to bottom in this box; turned, data flows left to right.
      boundingBox: { x1: 0, y1: 0, w: Math.max(widest - 1, 1) * ROW, h: Math.max(levels - 1, 1) * COLUMN },
      transform: (_, position) => ({ x: position.y, y: position.x }),
    }).run();
    cy.fit(undefined, 40);
    // Readable first: past this zoom, pan around (or "fit" to see it all).
    if (cy.zoom() > 1.25 || cy.zoom() < MIN_READABLE_ZOOM) {
      cy.zoom(Math.min(Math.max(cy.zoom(), MIN_READABLE_ZOOM), 1.25));
      const focus = cy.getElementById(selected);
      cy.center(focus.nonempty() ? focus : cy.nodes(".start"));
      fill(cy, 40);
    }
  };

  const refresh = () => {
    cy.nodes().removeClass("has-more");
    for (const key of pending.keys()) cy.getElementById(key.split("|")[0]).addClass("has-more");
    status.replaceChildren(`${cy.nodes().length} nodes, ${cy.edges().length} edges`, state.granularity === "job" ? " (jobs)" : " (runs)");
    moreButton.hidden = !initialToken;
    nodeCount.replaceChildren(`(${cy.nodes().length})`);
    nodeList.replaceChildren(...[...known.values()].filter((n) => cy.getElementById(n.id).nonempty()).map((n) =>
      h("li", {}, h("button", { type: "button", class: "linklike", onclick: () => select(n.id) }, `${kindOf(n)}: ${labelOf(n)}`))));
    if (selected && cy.getElementById(selected).empty()) select("");
    else select(selected);
  };

  const fetchPage = (params) => api("/lineage", { params: { granularity: state.granularity, page_size: PAGE_SIZE, ...params } });

  const note = (text, isError = false) => {
    messages.replaceChildren(isError ? errorBox(text) : h("span", { class: "muted" }, text));
    cy.resize(); // the graph may have moved on the page: Cytoscape must measure it again for clicks
  };

  const expand = async (id, direction) => {
    const key = `${id}|${direction}`;
    try {
      const page = await fetchPage({ start: id, direction, depth: 1, page_token: pending.get(key) });
      const fresh = merge(page);
      if (page.next_page_token) pending.set(key, page.next_page_token);
      else pending.delete(key);
      note(fresh ? `${fresh} new node${fresh === 1 ? "" : "s"} ${direction === "ascendants" ? "upstream" : "downstream"} of ${labelOf(known.get(id))}.`
        : `Nothing more ${direction === "ascendants" ? "upstream" : "downstream"} of ${labelOf(known.get(id))}.`);
      layout();
      refresh();
    } catch (error) {
      note(error, true);
    }
  };

  const select = (id) => {
    selected = id;
    cy.nodes().removeClass("picked");
    setQuery({ selected: id || null });
    if (!id) {
      panel.replaceChildren(h("p", { class: "muted" }, "Click a node to see its details and grow the graph from it."));
      return;
    }
    const element = cy.getElementById(id);
    element.addClass("picked");
    panel.replaceChildren(...details(known.get(id), {
      onExpand: (direction) => expand(id, direction),
      more: { ascendants: pending.has(`${id}|ascendants`), descendants: pending.has(`${id}|descendants`) },
      state,
    }));
  };

  cy.on("tap", "node", (event) => select(event.target.id()));
  cy.on("tap", (event) => { if (event.target === cy) select(""); });
  fitButton.addEventListener("click", () => cy.fit(undefined, 30));
  moreButton.addEventListener("click", async () => {
    moreButton.disabled = true;
    try {
      const page = await fetchPage({ start: startText, direction: state.direction, depth: state.depth, page_token: initialToken });
      initialToken = page.next_page_token || null;
      const fresh = merge(page);
      note(`${fresh} more node${fresh === 1 ? "" : "s"}.`);
      layout();
      refresh();
    } catch (error) {
      note(error, true);
    } finally {
      moreButton.disabled = false;
    }
  });

  status.replaceChildren("loading…");
  let page;
  try {
    page = await fetchPage({ start: state.node, direction: state.direction, depth: state.depth });
  } catch (error) {
    status.replaceChildren("");
    messages.replaceChildren(errorBox(error instanceof ApiError ? `${state.node}: ${error.message}` : error));
    panel.replaceChildren(h("p", { class: "muted" }, "Nothing drawn."));
    return;
  }
  if (page.start !== state.node) {
    // A URI the server read as a dataset (or an id written another way): keep its node id in the URL.
    state.node = page.start;
    nodeBox.value = page.start;
    setQuery({ node: page.start });
  }
  initialToken = page.next_page_token || null;
  merge(page);
  const starts = page.nodes.filter((n) => n.depth === 0).map((n) => n.id);
  for (const id of starts) cy.getElementById(id).addClass("start");
  if (!selected && starts.length === 1) selected = starts[0];
  if (initialToken) note(`Showing the first ${page.nodes.length} nodes: "more" draws the next ${PAGE_SIZE}.`);
  layout();
  refresh();
}

// Pan so that the graph fills the view where it can: no empty margin on a side the graph goes past.
function fill(cy, padding) {
  const box = cy.elements().renderedBoundingBox();
  const [width, height] = [cy.width(), cy.height()];
  const shift = (low, high, size) => {
    if (high - low <= size - 2 * padding) return (size - (high - low)) / 2 - low;
    if (low > padding) return padding - low;
    if (high < size - padding) return size - padding - high;
    return 0;
  };
  cy.panBy({ x: shift(box.x1, box.x2, width), y: shift(box.y1, box.y2, height) });
}

// How many levels a breadth-first walk down the edges from `roots` makes, and the most nodes on one.
function levelsOf(cy, roots) {
  const level = new Map();
  let frontier = roots.toArray();
  for (const node of frontier) level.set(node.id(), 0);
  for (let depth = 1; frontier.length; depth += 1) {
    const next = [];
    for (const node of frontier) {
      for (const child of node.outgoers("node").toArray()) {
        if (level.has(child.id())) continue;
        level.set(child.id(), depth);
        next.push(child);
      }
    }
    frontier = next;
  }
  const counts = new Map();
  for (const depth of level.values()) counts.set(depth, (counts.get(depth) || 0) + 1);
  const unreached = cy.nodes().length - level.size; // breadthfirst puts these on a level of their own
  return { levels: counts.size + (unreached ? 1 : 0), widest: Math.max(1, unreached, ...counts.values()) };
}

function clampDepth(value) {
  const number = Number.parseInt(value, 10);
  return Number.isFinite(number) ? Math.min(Math.max(number, 0), 100) : 2;
}

// -- node kinds, labels and styles ----------------------------------------------------------------

function kindOf(node) {
  if (node.type === "dataset") {
    const namespace = node.data && node.data.namespace;
    if (namespace === "mltrail://models" && MODEL_VERSION.test(node.data.name || "")) return "model version";
    if (namespace === "mltrail://endpoints") return "endpoint";
  }
  return KINDS[node.type] ? node.type : "dataset";
}

// A short label: Cytoscape draws it, so it stays text.
function labelOf(node) {
  if (!node) return "";
  const data = node.data || {};
  const kind = kindOf(node);
  let label;
  if (kind === "model version") {
    const [, model, version] = MODEL_VERSION.exec(data.name);
    label = `${model} v${version}`;
  } else if (kind === "endpoint") label = `endpoint ${data.name}`;
  else if (node.type === "dataset") label = basename(data.name || node.id);
  else if (node.type === "run") label = `${(data.job && data.job.name) || "run"} …${String(data.run_id || node.id).slice(-6)}`;
  else if (node.type === "job") label = data.name || node.id;
  else if (node.type === "trial") label = idParts(node.id)[1] || node.id;
  else label = idParts(node.id)[0] || data.name || node.id;
  return label.length > 30 ? `${label.slice(0, 29)}…` : label;
}

function basename(name) {
  const trimmed = String(name).replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed;
}

function nodeData(node) {
  const kind = kindOf(node);
  return { id: node.id, type: node.type, label: labelOf(node), kind, color: KINDS[kind].color, shape: KINDS[kind].shape };
}

// The decoded parts of a node id after its type (":" before "//" or a port stays in its part).
export function idParts(id) {
  const body = id.slice(id.indexOf(":") + 1).split("#")[0];
  const pieces = body.split(/:(?!\/\/|\d+(?::|\/|$))/);
  const type = id.slice(0, id.indexOf(":"));
  const count = ["dataset", "job", "trial"].includes(type) ? 2 : 1;
  const parts = count === 1 ? [body] : pieces.length > count ? [pieces.slice(0, pieces.length - 1).join(":"), pieces[pieces.length - 1]] : pieces;
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}

function graphStyle() {
  return [
    { selector: "node", style: {
      "background-color": "data(color)", shape: "data(shape)", label: "data(label)", width: 28, height: 28,
      "font-size": 11, color: "#1d2430", "text-valign": "bottom", "text-halign": "center", "text-margin-y": 4,
      "text-wrap": "wrap", "text-max-width": 140, "text-background-color": "#ffffff", "text-background-opacity": 0.75,
      "text-background-padding": 1,
    } },
    { selector: "node.start", style: { "border-width": 3, "border-color": "#1d2430" } },
    { selector: "node.has-more", style: { "border-width": 3, "border-style": "dashed", "border-color": "#a15c07" } },
    { selector: "node.picked", style: { "border-width": 5, "border-color": "#f5b400", "border-style": "solid" } },
    { selector: "edge", style: {
      width: 1.5, "line-color": "#98a2b3", "target-arrow-color": "#98a2b3", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "arrow-scale": 0.9,
    } },
    { selector: "edge[type = 'COMPONENT'], edge[type = 'PARENT']", style: { "line-style": "dashed" } },
  ];
}

function legend() {
  return h("div", { class: "legend", id: "legend" },
    Object.entries(KINDS).map(([kind, { color, label }]) =>
      h("span", { class: "legend-item", dataset: { kind } }, h("span", { class: "swatch", style: `background:${color}` }), label)),
    h("span", { class: "legend-item" }, h("span", { class: "swatch ring start" }), "start"),
    h("span", { class: "legend-item" }, h("span", { class: "swatch ring more" }), "more neighbours to load"),
  );
}

// -- the side panel -------------------------------------------------------------------------------

function details(node, { onExpand, more, state }) {
  const kind = kindOf(node);
  const data = node.data || {};
  const busy = (button, direction) => async () => {
    button.disabled = true;
    button.textContent = "loading…";
    await onExpand(direction);
  };
  const up = h("button", { type: "button", id: "expand-up" }, more.ascendants ? "more upstream" : "expand upstream");
  const down = h("button", { type: "button", id: "expand-down" }, more.descendants ? "more downstream" : "expand downstream");
  up.addEventListener("click", busy(up, "ascendants"));
  down.addEventListener("click", busy(down, "descendants"));
  const rows = [["id", node.id], ["type", kind === node.type ? kind : `${node.type} (${kind})`], ["depth", String(node.depth)]];
  for (const [key, value] of Object.entries(data)) rows.push([key, fieldText(key, value)]);
  const here = new URLSearchParams({ node: node.id, direction: state.direction, depth: String(state.depth), granularity: state.granularity });
  return [
    h("h2", { class: "node-title" }, h("span", { class: "swatch", style: `background:${KINDS[kind].color}` }), labelOf(node)),
    h("div", { class: "toolbar node-actions" }, up, down),
    h("p", {}, pageLinks(node, kind), link(`/lineage?${here}`, "explore from here")),
    h("dl", { class: "fields", id: "node-fields" }, rows.map(([key, value]) => [h("dt", {}, key), h("dd", { dataset: { field: key } }, value)])),
  ];
}

function fieldText(key, value) {
  if (value === null || value === undefined) return "";
  if ((key === "start_time" || key === "end_time") && typeof value === "number") return `${when(new Date(value).toISOString())} (${value})`;
  if (typeof value === "object") return h("pre", { class: "preview" }, JSON.stringify(value, null, 2));
  return fmt(value);
}

// Links to the node's own page: a run, a model version, a trial, an experiment.
function pageLinks(node, kind) {
  const data = node.data || {};
  const links = [];
  if (node.type === "run") links.push(link(`/runs/${segment(data.run_id || idParts(node.id)[0])}`, "open the run"));
  if (kind === "model version") {
    const [, model, version] = MODEL_VERSION.exec(data.name);
    links.push(link(`/models/${segment(model)}/versions/${version}`, `open ${model} v${version}`));
  }
  if (node.type === "trial") {
    const [experiment, trial] = idParts(node.id);
    links.push(link(`/experiments/${segment(experiment)}/trials/${segment(trial)}`, "open the trial"));
  }
  if (node.type === "experiment") links.push(link(`/experiments/${segment(idParts(node.id)[0])}`, "open the experiment"));
  return links.flatMap((a) => [a, " · "]);
}
