// Sign in with an API token (`mltrail tokens create`), kept in this browser until signing out.
import { api, errorBox, go, h, setToken } from "../app.js";

export async function render(main, { query }) {
  const next = query.get("next") || "/";
  const box = h("input", { type: "password", name: "token", autocomplete: "off", placeholder: "mlt_…", size: 60 });
  const message = h("div");
  main.append(
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "This server asks for an API token. Create one with `mltrail tokens create --name NAME --role reader` (approver to approve model versions)."),
    h("form", { class: "toolbar", onsubmit: async (event) => {
      event.preventDefault();
      setToken(box.value.trim());
      try {
        await api("/ui/whoami"); // 401 for a token the server does not know, even with reads open
        go(next.startsWith("/") && !next.startsWith("//") ? next : "/");
      } catch (error) {
        setToken(null);
        message.replaceChildren(errorBox(error));
      }
    } }, box, h("button", { type: "submit" }, "sign in")),
    message,
  );
}
