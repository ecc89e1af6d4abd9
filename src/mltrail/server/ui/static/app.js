// mltrail's web UI: the router, the API client and the helpers every page uses.
//
// Each page is a module in pages/ exporting `render(main, ctx)`; ctx.params holds the path's
// parts (decoded), ctx.query the URL's query (the page's state). Pages build the DOM with h(),
// which puts every string in a text node: nothing from the API is ever parsed as markup.

export const API = "/api/mltrail/v1";
const TOKEN_KEY = "mltrail.token";

const ROUTES = [
  [/^\/$/, "experiments", []],
  [/^\/experiments\/([^/]+)\/?$/, "leaderboard", ["experiment"]],
  [/^\/experiments\/([^/]+)\/compare\/?$/, "compare", ["experiment"]],
  [/^\/experiments\/([^/]+)\/trials\/([^/]+)\/?$/, "trial", ["experiment", "trial"]],
  [/^\/runs\/([^/]+)\/?$/, "run", ["run"]],
  [/^\/lineage\/?$/, "lineage", []],
  [/^\/models\/?$/, "models", []],
  [/^\/models\/([^/]+)\/?$/, "model", ["model"]],
  [/^\/models\/([^/]+)\/versions\/(\d+)\/?$/, "version", ["model", "version"]],
  [/^\/sign-in\/?$/, "signin", []],
];

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || {};
  }
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  showWho();
}

function headers(extra) {
  const all = { Accept: "application/json", ...extra };
  const token = getToken();
  if (token) all.Authorization = `Bearer ${token}`;
  return all;
}

// One request to the REST API; its JSON answer, or an ApiError with the server's message.
// A 401 sends the user to the sign-in page, coming back here afterwards.
export async function api(path, { method = "GET", params, body } = {}) {
  const url = new URL(API + path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(url, init);
  if (response.status === 401 && location.pathname !== "/sign-in") {
    go(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, "sign in with an API token");
  }
  const text = await response.text();
  const data = text ? parseJson(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.message) || `${response.status} ${response.statusText}`, data && data.details);
  }
  return data;
}

// The API writes NaN and Infinity (metric values), which JSON.parse refuses: read them as numbers.
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(text.replace(/(?<=[:,\[]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"__$1__"'), (_, v) =>
      v === "__NaN__" ? NaN : v === "__Infinity__" ? Infinity : v === "__-Infinity__" ? -Infinity : v,
    );
  }
}

// A file of the artifact store (or any API path) as an object URL, fetched with the token.
export async function blobUrl(path) {
  const response = await fetch(API + path, { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, `${response.status} ${response.statusText}`);
  return URL.createObjectURL(await response.blob());
}

// h("a", {href: "/x", class: "c", onclick: fn}, "text", child, [more]) — strings become text.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// An in-app link: navigates without reloading the page.
export function link(href, ...children) {
  return h("a", { href, "data-nav": true }, ...children);
}

export function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

export function fmt(value) {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3 ? value.toExponential(4) : String(+value.toFixed(6));
  }
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function when(text) {
  return text ? new Date(text).toISOString().replace("T", " ").slice(0, 19) + "Z" : "";
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error instanceof Error ? error.message : String(error));
}

// The page's state lives in the URL: read it, and write it without redrawing.
export function query() {
  return new URLSearchParams(location.search);
}

export function setQuery(changes) {
  const params = query();
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) params.delete(key);
    else params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const search = params.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

export function go(url) {
  history.pushState(null, "", url);
  route();
}

export function segment(text) {
  return encodeURIComponent(text);
}

async function showWho() {
  const who = document.getElementById("who");
  if (!who) return;
  const token = getToken();
  if (!token) {
    who.replaceChildren(link("/sign-in", "sign in"));
    return;
  }
  const signOut = h("a", { href: "#", onclick: (e) => { e.preventDefault(); setToken(null); go("/sign-in"); } }, "sign out");
  let name = "a token";
  try {
    const visitor = await api("/ui/whoami");
    if (visitor.name) name = `${visitor.name} (${visitor.role})`;
  } catch {
    name = "a token the server refuses";
  }
  if (getToken() !== token) return; // signed in or out meanwhile: that call draws the header
  who.replaceChildren(h("span", { id: "signed-in" }, `signed in as ${name} · `), signOut);
}

let drawing = 0;

async function route() {
  const main = document.getElementById("page");
  const path = location.pathname;
  const drawn = ++drawing;
  for (const [pattern, name, keys] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]));
    main.replaceChildren(h("p", { class: "muted" }, "loading…"));
    try {
      const page = await import(`./pages/${name}.js`);
      if (drawn !== drawing) return;
      main.replaceChildren();
      document.title = "mltrail";
      await page.render(main, { params, query: query() });
    } catch (error) {
      if (drawn === drawing && !(error instanceof ApiError && error.status === 401)) main.replaceChildren(errorBox(error));
    }
    return;
  }
  main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, path)));
}

document.addEventListener("click", (event) => {
  const anchor = event.target.closest && event.target.closest("a[data-nav]");
  if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  go(anchor.getAttribute("href"));
});
window.addEventListener("popstate", route);
showWho();
route();
