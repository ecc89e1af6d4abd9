// An experiment's leaderboard: its trials (or runs) searched, sorted and paged on the server.
//
// The whole view is in the URL's query, so a copied URL reloads to the same view:
//   view=runs            runs instead of trials
//   filter=…  order=…    the search language (docs/search.md): filter and order_by
//   col=… (repeated)     the columns shown, in order (absent: the defaults; one empty col: none)
//   size=50              rows per page
//   page=… (repeated)    the page tokens that led to the current page (the stack "previous" pops)
//   sel=… (repeated)     the selected trial names (run ids in the runs view)
// Repeated keys, not comma-joined lists: trial names and keys may hold commas.
import { ApiError, api, badge, errorBox, fmt, go, h, link, segment, when } from "../app.js";

const PAGE_SIZES = [10, 25, 50, 100, 250];
const DEFAULT_SIZE = 50;
const EXPORT_LIMIT = 10000;
const EXPORT_PAGE = 1000;
const DEFAULT_KEYS = 8; // params, and metrics, shown when the URL names no columns
const AGGREGATES = ["last", "min", "max"];
const ATTRIBUTES = {
  trials: ["status", "start_time", "end_time", "duration", "runs"],
  runs: ["kind", "status", "start_time", "end_time", "duration", "trials"],
};
const DEFAULT_ATTRIBUTES = {
  trials: ["status", "start_time", "duration"],
  runs: ["kind", "status", "start_time", "duration"],
};
const SORTABLE_ATTRIBUTES = new Set(["name", "status", "kind", "start_time", "end_time", "duration"]);
const BARE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_\-/]*$/;

// -- columns: ids like `status`, `params.C`, `metrics.val_auc.max`, `tags.team` -----------------
// Shared with the compare page.

export function column(id) {
  const dot = id.indexOf(".");
  const kind = dot < 0 ? "attr" : id.slice(0, dot);
  if (kind === "metrics") {
    const last = id.lastIndexOf(".");
    const agg = id.slice(last + 1);
    if (last > dot && AGGREGATES.includes(agg)) return { id, kind, key: id.slice(dot + 1, last), agg };
    return { id, kind, key: id.slice(dot + 1), agg: "last" };
  }
  if (kind === "params" || kind === "tags") return { id, kind, key: id.slice(dot + 1) };
  return { id, kind: "attr", key: id };
}

export function metricColumn(key, agg = "last") {
  return `metrics.${key}.${agg}`;
}

// The column's value in a trial or run: a number, a string, or undefined.
export function cellValue(item, col) {
  if (col.kind === "params") return item.params ? item.params[col.key] : undefined;
  if (col.kind === "tags") return item.tags ? item.tags[col.key] : undefined;
  if (col.kind === "metrics") {
    const summary = item.metrics && item.metrics[col.key];
    return summary ? summary[col.agg] : undefined;
  }
  switch (col.key) {
    case "name": return item.name;
    case "duration": return item.start_time && item.end_time ? (Date.parse(item.end_time) - Date.parse(item.start_time)) / 1000 : undefined;
    case "runs": return item.run_ids ? item.run_ids.length : undefined;
    case "trials": return item.trials ? item.trials.join("; ") : undefined;
    default: return item[col.key] === null ? undefined : item[col.key];
  }
}

// [kind label, key] for a header: ["metric · max", "val_auc"], ["param", "C"], ["", "status"].
export function columnLabel(col) {
  if (col.kind === "metrics") return [`metric · ${col.agg}`, col.key];
  if (col.kind === "params") return ["param", col.key];
  if (col.kind === "tags") return ["tag", col.key];
  return ["", col.key.replace("_", " ")];
}

export function columnTitle(col) {
  const [kind, key] = columnLabel(col);
  return kind ? `${key} (${kind})` : key;
}

export function quoteKey(key) {
  return BARE_KEY.test(key) ? key : `\`${key.replaceAll("`", "``")}\``;
}

// The search language's identifier for the column, or null when the server cannot sort by it.
export function sortIdentifier(col) {
  if (col.kind === "params") return `params.${quoteKey(col.key)}`;
  if (col.kind === "tags") return `tags.${quoteKey(col.key)}`;
  if (col.kind === "metrics") return `metrics.${quoteKey(col.key)}.${col.agg}`;
  return SORTABLE_ATTRIBUTES.has(col.key) ? col.key : null;
}

export function quoteString(text) {
  return `'${String(text).replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

// `field IN (…)` filters over `values`, each under the server's 20,000-character limit.
export function inFilters(field, values) {
  const filters = [];
  let chunk = [];
  let length = 0;
  for (const value of new Set(values)) {
    const quoted = quoteString(value);
    if (chunk.length && (length + quoted.length > 15000 || chunk.length >= 1000)) {
      filters.push(`${field} IN (${chunk.join(", ")})`);
      chunk = [];
      length = 0;
    }
    chunk.push(quoted);
    length += quoted.length + 2;
  }
  if (chunk.length) filters.push(`${field} IN (${chunk.join(", ")})`);
  return filters;
}

// -- the query-error box: the server's message, the filter with the offending token marked -----

const TOKEN = /'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?|`(?:[^`]|``)*`?|[A-Za-z0-9_.\-/]+|[<>=!]+|[\s\S]/y;

export function queryError(error, what = "filter") {
  const details = (error && error.details) || {};
  if (details.error !== "QuerySyntaxError" || typeof details.text !== "string") return errorBox(error);
  const text = details.text;
  const position = Math.min(Math.max(Number(details.position) || 0, 0), text.length);
  TOKEN.lastIndex = position;
  const match = TOKEN.exec(text);
  const end = match ? position + match[0].length : position;
  const field = details.field === "order_by" ? "order" : what;
  return h("div", { class: "query-error", role: "alert" },
    h("p", { class: "error" }, `Bad ${field} at position ${position}: ${details.reason || error.message}`),
    h("pre", { class: "query-text" },
      text.slice(0, position),
      h("mark", { title: `position ${position}` }, text.slice(position, end) || " "),
      text.slice(end),
      "\n",
      h("span", { class: "caret" }, `${" ".repeat(position)}^`),
    ),
  );
}

// -- state in the URL -------------------------------------------------------------------------

function readState(query) {
  const view = query.get("view") === "runs" ? "runs" : "trials";
  const size = Number(query.get("size"));
  return {
    view,
    filter: query.get("filter") || "",
    order: query.get("order") || "",
    columns: query.has("col") ? query.getAll("col").filter(Boolean) : null,
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE,
    pages: query.getAll("page").filter(Boolean),
    selected: query.getAll("sel").filter(Boolean),
  };
}

function writeState(state) {
  const params = new URLSearchParams();
  if (state.view !== "trials") params.set("view", state.view);
  if (state.filter) params.set("filter", state.filter);
  if (state.order) params.set("order", state.order);
  if (state.columns !== null) {
    if (!state.columns.length) params.append("col", "");
    for (const id of state.columns) params.append("col", id);
  }
  if (state.size !== DEFAULT_SIZE) params.set("size", String(state.size));
  for (const token of state.pages) params.append("page", token);
  for (const id of state.selected) params.append("sel", id);
  const search = params.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

// `<identifier> DESC` → {identifier, descending}
function parseOrder(order) {
  const match = /^(.*?)\s+(ASC|DESC)\s*$/i.exec(order || "");
  if (!match) return { identifier: (order || "").trim(), descending: false };
  return { identifier: match[1].trim(), descending: match[2].toUpperCase() === "DESC" };
}

export function compareUrl(experiment, trials) {
  const params = new URLSearchParams();
  for (const name of trials) params.append("trial", name);
  const search = params.toString();
  return `/experiments/${segment(experiment)}/compare${search ? `?${search}` : ""}`;
}

// -- the page ---------------------------------------------------------------------------------

export async function render(main, { params, query }) {
  const experiment = params.experiment;
  document.title = `${experiment} · mltrail`;
  const keys = await api(`/experiments/${segment(experiment)}/keys`);
  let state = readState(query);
  let result = null; // the current page: {items, next_page_token}
  let loading = 0;

  const defaults = (view) => [
    ...DEFAULT_ATTRIBUTES[view],
    ...keys.params.slice(0, DEFAULT_KEYS).map((key) => `params.${key}`),
    ...keys.metrics.slice(0, DEFAULT_KEYS).map((key) => metricColumn(key)),
  ];
  const columns = () => (state.columns === null ? defaults(state.view) : state.columns).map(column);
  const itemId = (item) => (state.view === "runs" ? item.id : item.name);

  // toolbar: view, filter
  const filterBox = h("input", {
    type: "search", name: "filter", value: state.filter, spellcheck: false, "aria-label": "filter",
    placeholder: "filter, e.g. params.learning_rate < 0.01 OR metrics.val_auc.max > 0.9",
  });
  const viewTabs = h("div", { class: "tabs", role: "tablist" },
    ["trials", "runs"].map((view) => h("button", {
      type: "button", role: "tab", class: "tab", dataset: { view }, "aria-selected": String(state.view === view),
      onclick: () => {
        if (view === state.view) return;
        const kept = state.columns === null ? null : state.columns.filter((id) => column(id).kind !== "attr" || ATTRIBUTES[view].includes(id));
        load({ ...state, view, columns: kept, pages: [], selected: [] });
      },
    }, view === "trials" ? "Trials" : "Runs")),
  );
  const errorArea = h("div", { class: "query-errors" });
  const filterForm = h("form", { class: "toolbar filter", onsubmit: (e) => { e.preventDefault(); load({ ...state, filter: filterBox.value.trim(), pages: [] }); } },
    filterBox,
    h("button", { type: "submit" }, "apply"),
    h("button", { type: "button", onclick: () => { filterBox.value = ""; load({ ...state, filter: "", pages: [] }); } }, "clear"),
  );

  // toolbar: columns, compare, export, page size
  const picker = h("details", { class: "picker" });
  const selectedCount = h("span", { class: "muted", id: "selection" });
  const compareLink = h("a", { class: "button", id: "compare", href: "#", "data-nav": true, onclick: (event) => {
    if (state.view !== "runs" || !state.selected.length) return;
    // The runs view's selection is of runs: compare the trials they belong to.
    event.preventDefault();
    event.stopPropagation();
    Promise.all(inFilters("id", state.selected).map((filter) => api("/runs/search", { method: "POST", body: { experiment, filter, max_results: 1000 } })))
      .then((pages) => go(compareUrl(experiment, [...new Set(pages.flatMap((page) => page.items.flatMap((run) => run.trials || [])))])))
      .catch((error) => status.replaceChildren(errorBox(error)));
  } });
  const exportButton = h("button", { type: "button", id: "export", onclick: () => exportCsv() }, "export CSV");
  const sizeBox = h("select", { name: "size", "aria-label": "rows per page", onchange: () => load({ ...state, size: Number(sizeBox.value), pages: [] }) },
    PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === state.size }, `${n} per page`)));
  const actions = h("div", { class: "toolbar actions" }, picker, compareLink, selectedCount, h("span", { class: "spacer" }), exportButton, sizeBox);

  const status = h("p", { class: "muted", id: "status" }, "loading…");
  const tableArea = h("div", { class: "table-wrap" });
  const pager = h("div", { class: "pager" });

  main.append(
    h("p", { class: "crumbs muted" }, link("/", "Experiments"), " / ", experiment),
    h("h1", {}, experiment),
    viewTabs, filterForm, errorArea, actions, status, tableArea, pager,
  );

  // -- drawing ------------------------------------------------------------------------------

  function drawPicker() {
    const open = picker.open;
    const shown = new Set(columns().map((c) => c.id));
    const toggle = (id) => (event) => {
      const current = columns().map((c) => c.id);
      const next = event.target.checked ? [...current.filter((c) => c !== id), id] : current.filter((c) => c !== id);
      state = { ...state, columns: next };
      writeState(state);
      picker.querySelector("summary").textContent = `columns (${next.length})`;
      drawTable();
    };
    const box = (id, text) => h("label", { class: "check" }, h("input", { type: "checkbox", checked: shown.has(id), dataset: { column: id }, onchange: toggle(id) }), text);
    const search = h("input", { type: "search", placeholder: "find a key", "aria-label": "find a column", oninput: () => {
      const needle = search.value.toLowerCase();
      for (const row of picker.querySelectorAll("[data-key]")) row.hidden = needle !== "" && !row.dataset.key.toLowerCase().includes(needle);
    } });
    picker.replaceChildren(
      h("summary", {}, `columns (${shown.size})`),
      h("div", { class: "picker-body" },
        search,
        h("fieldset", {}, h("legend", {}, "attributes"), ATTRIBUTES[state.view].map((id) => h("div", { dataset: { key: id } }, box(id, id.replace("_", " "))))),
        h("fieldset", {}, h("legend", {}, "params"),
          keys.params.length ? keys.params.map((key) => h("div", { dataset: { key } }, box(`params.${key}`, key))) : h("p", { class: "muted" }, "none")),
        h("fieldset", {}, h("legend", {}, "metrics: last · min · max"),
          keys.metrics.length
            ? keys.metrics.map((key) => h("div", { class: "metric-row", dataset: { key } },
              h("span", { class: "key" }, key),
              AGGREGATES.map((agg) => box(metricColumn(key, agg), agg))))
            : h("p", { class: "muted" }, "none")),
        h("fieldset", {}, h("legend", {}, "tags"),
          keys.tags.length ? keys.tags.map((key) => h("div", { dataset: { key } }, box(`tags.${key}`, key))) : h("p", { class: "muted" }, "none")),
        h("div", { class: "picker-foot" },
          h("button", { type: "button", onclick: () => { state = { ...state, columns: null }; writeState(state); drawPicker(); drawTable(); } }, "defaults"),
          h("button", { type: "button", onclick: () => { state = { ...state, columns: [] }; writeState(state); drawPicker(); drawTable(); } }, "none"),
        ),
      ),
    );
    picker.open = open;
  }

  function drawSelection() {
    const count = state.selected.length;
    selectedCount.textContent = count ? `${count} selected` : "";
    if (state.view === "trials") {
      compareLink.textContent = count ? `compare ${count} selected` : "compare all";
      compareLink.setAttribute("href", compareUrl(experiment, state.selected));
    } else {
      compareLink.textContent = count ? `compare the trials of ${count} selected runs` : "compare all";
      compareLink.setAttribute("href", compareUrl(experiment, []));
    }
  }

  function drawTable() {
    if (!result) return;
    const cols = columns();
    const selected = new Set(state.selected);
    const { identifier, descending } = parseOrder(state.order);
    const pageIds = result.items.map(itemId);
    const header = (col) => {
      const sortBy = sortIdentifier(col);
      const [kind, key] = columnLabel(col);
      const sorted = sortBy !== null && sortBy === identifier;
      const label = [kind ? h("span", { class: "kind" }, kind) : null, h("span", { class: "key" }, key)];
      if (!sortBy) return h("th", { dataset: { column: col.id }, scope: "col" }, label);
      const order = `${sortBy} ${sorted && descending ? "ASC" : "DESC"}`;
      return h("th", { dataset: { column: col.id }, scope: "col", class: "sortable", "aria-sort": sorted ? (descending ? "descending" : "ascending") : "none" },
        h("button", { type: "button", class: "sort", title: `sort by ${order}`, onclick: () => load({ ...state, order, pages: [] }) },
          label, sorted ? h("span", { class: "arrow" }, descending ? " ▼" : " ▲") : null));
    };
    const allBox = h("input", {
      type: "checkbox", "aria-label": "select the page", checked: pageIds.length > 0 && pageIds.every((id) => selected.has(id)),
      onchange: (event) => {
        const next = new Set(state.selected);
        for (const id of pageIds) event.target.checked ? next.add(id) : next.delete(id);
        state = { ...state, selected: [...next] };
        writeState(state);
        drawSelection();
        drawTable();
      },
    });
    const nameCol = column("name");
    const nameHead = header(nameCol);
    const row = (item) => {
      const id = itemId(item);
      const href = state.view === "runs" ? `/runs/${segment(item.id)}` : `/experiments/${segment(experiment)}/trials/${segment(item.name)}`;
      return h("tr", { dataset: { id }, class: selected.has(id) ? "selected" : undefined },
        h("td", { class: "pick" }, h("input", {
          type: "checkbox", checked: selected.has(id), "aria-label": `select ${item.name}`,
          onchange: (event) => {
            const next = state.selected.filter((x) => x !== id);
            if (event.target.checked) next.push(id);
            state = { ...state, selected: next };
            writeState(state);
            event.target.closest("tr").classList.toggle("selected", event.target.checked);
            allBox.checked = pageIds.every((x) => next.includes(x));
            drawSelection();
          },
        })),
        h("td", { class: "name" }, link(href, item.name || item.id)),
        cols.map((col) => cell(item, col)),
      );
    };
    fill(tableArea,
      h("table", { class: "grid leaderboard", id: "leaderboard", dataset: { view: state.view } },
        h("thead", {}, h("tr", {}, h("th", { class: "pick" }, allBox), nameHead, cols.map(header))),
        h("tbody", {}, result.items.map(row)),
      ),
      result.items.length ? null : h("p", { class: "empty muted" }, state.filter ? `No ${state.view} match this filter.` : `No ${state.view} in this experiment yet.`),
    );
  }

  function cell(item, col) {
    const value = cellValue(item, col);
    if (col.kind === "attr" && col.key === "status" && value) return h("td", {}, badge(value));
    if (col.kind === "attr" && (col.key === "start_time" || col.key === "end_time")) return h("td", { class: "time" }, when(value));
    if (col.kind === "attr" && col.key === "duration") return h("td", { class: "num" }, value === undefined ? "" : `${value.toFixed(1)} s`);
    const text = fmt(value);
    return h("td", { class: typeof value === "number" ? "num" : undefined, title: text.length > 40 ? text : undefined }, text);
  }

  function drawPager() {
    const page = state.pages.length + 1;
    const first = (page - 1) * state.size + 1;
    const count = result ? result.items.length : 0;
    pager.replaceChildren(
      h("button", { type: "button", id: "previous", disabled: page === 1, onclick: () => load({ ...state, pages: state.pages.slice(0, -1) }) }, "← previous"),
      h("span", { class: "muted", id: "page-info" }, count ? `page ${page} · rows ${first}–${first + count - 1}` : `page ${page}`),
      h("button", { type: "button", id: "next", disabled: !(result && result.next_page_token), onclick: () => load({ ...state, pages: [...state.pages, result.next_page_token] }) }, "next →"),
    );
  }

  // -- loading ------------------------------------------------------------------------------

  function searchBody(next, token, size) {
    const body = { experiment, max_results: size };
    if (next.filter) body.filter = next.filter;
    if (next.order) body.order_by = next.order;
    if (token) body.page_token = token;
    return body;
  }

  // Fetch the page `next` asks for; on success it becomes the state (and the URL), on a bad
  // filter or order the error shows and the table stays as it was.
  async function load(next) {
    const mine = ++loading;
    status.textContent = `loading ${next.view}…`;
    tableArea.classList.add("stale");
    try {
      const page = await api(`/${next.view}/search`, { method: "POST", body: searchBody(next, next.pages[next.pages.length - 1], next.size) });
      if (mine !== loading) return;
      state = next;
      result = page;
      writeState(state);
      errorArea.replaceChildren();
      status.textContent = "";
      for (const tab of viewTabs.children) tab.setAttribute("aria-selected", String(tab.dataset.view === state.view));
      filterBox.value = state.filter;
      drawPicker();
      drawSelection();
      drawTable();
      drawPager();
    } catch (error) {
      if (mine !== loading) return;
      status.textContent = "";
      if (error instanceof ApiError && error.status === 401) throw error;
      errorArea.replaceChildren(queryError(error));
    } finally {
      if (mine === loading) tableArea.classList.remove("stale");
    }
  }

  // -- CSV export: every page of the current search, up to EXPORT_LIMIT rows ----------------

  async function exportCsv() {
    exportButton.disabled = true;
    const cols = columns();
    const items = [];
    try {
      let token;
      do {
        status.textContent = `exporting… ${items.length} rows`;
        const size = Math.min(EXPORT_PAGE, EXPORT_LIMIT - items.length);
        const page = await api(`/${state.view}/search`, { method: "POST", body: searchBody(state, token, size) });
        items.push(...page.items);
        token = page.next_page_token;
      } while (token && items.length < EXPORT_LIMIT);
      const head = state.view === "runs" ? ["id", "name"] : ["name"];
      const lines = [[...head, ...cols.map((c) => c.id)]];
      for (const item of items) {
        const first = state.view === "runs" ? [item.id, item.name] : [item.name];
        lines.push([...first, ...cols.map((col) => cellValue(item, col))]);
      }
      const text = lines.map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
      const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
      const anchor = h("a", { href: url, download: `${experiment}-${state.view}.csv`, hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      status.textContent = `exported ${items.length} rows${token ? ` (the first ${EXPORT_LIMIT})` : ""}`;
    } catch (error) {
      status.replaceChildren(errorBox(error));
    } finally {
      exportButton.disabled = false;
    }
  }

  await load(state);
  // A stale page token (the data changed): start over at the first page.
  if (!result && state.pages.length) await load({ ...state, pages: [] });
  if (!result) {
    // The URL's filter or order does not parse: show the error, and the plain list under it.
    const shown = errorArea.firstChild;
    await load({ ...state, filter: "", order: "", pages: [] });
    filterBox.value = readState(query).filter;
    if (shown) errorArea.replaceChildren(shown);
  }
}

// replaceChildren that skips null, undefined and false, and flattens arrays (as h() does).
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

// One CSV field (RFC 4180): quoted when it holds a quote, comma or line break. Text that a
// spreadsheet would run as a formula (= + - @ first) gets a leading apostrophe.
export function csvField(value) {
  if (value === undefined || value === null) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text.trim() !== text ? `"${text.replaceAll('"', '""')}"` : text;
}
