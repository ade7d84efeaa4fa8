// Renders /openapi.json as a page. Every piece of text from the document goes in with
// textContent, never as markup, so the page is safe whatever the document says.
"use strict";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

// A compact, readable sketch of a schema: `{ field: type, ... }`, following $refs a few levels.
function sketch(schema, components, depth) {
  if (!schema) return "any";
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (depth > 2) return name;
    return name + " " + sketch(components[name], components, depth + 1);
  }
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    if (schema[key]) return schema[key].map((s) => sketch(s, components, depth)).join(key === "allOf" ? " & " : " | ");
  }
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join("|") : schema.type;
  if (type === "array" || (Array.isArray(schema.type) && schema.items)) return "[" + sketch(schema.items, components, depth) + "]";
  if (schema.properties) {
    const pad = "  ".repeat(depth + 1);
    const required = new Set(schema.required || []);
    const fields = Object.entries(schema.properties).map(([name, sub]) =>
      pad + name + (required.has(name) ? "" : "?") + ": " + sketch(sub, components, depth + 1));
    return "{\n" + fields.join(",\n") + "\n" + "  ".repeat(depth) + "}";
  }
  return type || "object";
}

function parameterTable(parameters) {
  const table = el("table");
  const head = el("tr");
  for (const title of ["name", "in", "required", "description"]) head.appendChild(el("th", title));
  table.appendChild(head);
  for (const p of parameters) {
    const row = el("tr");
    row.appendChild(el("td", p.name));
    row.appendChild(el("td", p.in));
    row.appendChild(el("td", p.required ? "yes" : "no"));
    row.appendChild(el("td", p.description || ""));
    table.appendChild(row);
  }
  return table;
}

function operationSection(path, method, op, components) {
  const section = el("section", undefined, "operation");
  section.id = method + "-" + path.replace(/[^a-zA-Z0-9]+/g, "-");
  const heading = el("h3");
  heading.appendChild(el("span", method, "method " + method));
  heading.appendChild(el("code", path));
  section.appendChild(heading);
  if (op.description || op.summary) section.appendChild(el("p", op.description || op.summary));
  if (op.security && op.security.length) {
    const schemes = op.security.flatMap((s) => Object.keys(s)).join(", ");
    section.appendChild(el("p", "Authorization: Bearer (" + schemes + ")", "auth"));
  }
  if (op.parameters && op.parameters.length) section.appendChild(parameterTable(op.parameters));
  const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (body) {
    section.appendChild(el("h4", "Request body" + (op.requestBody.required ? "" : " (optional)")));
    section.appendChild(el("pre", sketch(body.schema, components, 0)));
  }
  section.appendChild(el("h4", "Responses"));
  const list = el("ul");
  for (const [status, response] of Object.entries(op.responses || {})) {
    const item = el("li");
    item.appendChild(el("strong", status + " "));
    item.appendChild(document.createTextNode(response.description || ""));
    const json = response.content && response.content["application/json"];
    if (json && status.startsWith("2")) item.appendChild(el("pre", sketch(json.schema, components, 0)));
    list.appendChild(item);
  }
  section.appendChild(list);
  return section;
}

function render(doc) {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("description").textContent = doc.info.description || "";
  const components = (doc.components && doc.components.schemas) || {};
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const main = document.getElementById("endpoints");
  const toc = el("ul");
  main.replaceChildren();
  for (const [tag, operations] of byTag) {
    main.appendChild(el("h2", tag));
    const known = (doc.tags || []).find((t) => t.name === tag);
    if (known && known.description) main.appendChild(el("p", known.description));
    for (const [path, method, op] of operations) {
      const section = operationSection(path, method, op, components);
      main.appendChild(section);
      const link = el("a", method.toUpperCase() + " " + path);
      link.href = "#" + section.id;
      const item = el("li");
      item.appendChild(link);
      toc.appendChild(item);
    }
  }
  document.getElementById("toc").replaceChildren(toc);
}

fetch("/openapi.json")
  .then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  })
  .then(render)
  .catch((error) => {
    document.getElementById("status").textContent = "Could not load /openapi.json: " + error.message;
  });
