// Registered models: version count, latest version and its status, latest approved, last change.
import { api, badge, h, link, segment, when } from "../app.js";

export async function render(main) {
  const models = await api("/models");
  document.title = "Models · mltrail";
  main.append(
    h("h1", {}, "Models"),
    h("table", { class: "grid", id: "models" },
      h("thead", {}, h("tr", {}, ["model", "versions", "latest", "status", "latest approved", "updated"].map((c) => h("th", {}, c)))),
      h("tbody", {}, models.map((model) => {
        const base = `/models/${segment(model.name)}`;
        return h("tr", { dataset: { model: model.name } },
          h("td", {}, link(base, model.name)),
          h("td", { class: "num" }, model.versions),
          h("td", {}, link(`${base}/versions/${model.latest_version}`, `v${model.latest_version}`)),
          h("td", {}, badge(model.latest_status)),
          h("td", {}, model.latest_approved === null ? h("span", { class: "muted" }, "none") : link(`${base}/versions/${model.latest_approved}`, `v${model.latest_approved}`)),
          h("td", {}, when(model.updated_at)),
        );
      })),
    ),
  );
  if (!models.length) main.append(h("p", { class: "muted" }, "No registered models yet: register one with `mltrail.registry.register_model`, or run `make demo`."));
}
