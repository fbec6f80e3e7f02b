/** /docs: a self-contained page that renders /openapi.json (no CDN: the dashboard may have no internet). */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kube-9 API documentation</title>
<style>
  :root { --bg:#f6f7fb; --card:#fff; --ink:#1d2433; --muted:#667085; --line:#e4e7ec; --accent:#3b5bdb; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif; background:var(--bg); color:var(--ink); }
  header { background:#111827; color:#fff; padding:18px 28px; display:flex; align-items:center; gap:16px; flex-wrap:wrap; }
  header h1 { margin:0; font-size:20px; font-weight:600; }
  header a { color:#a5b4fc; }
  header .sp { flex:1; }
  header input { padding:6px 10px; border-radius:6px; border:1px solid #374151; background:#1f2937; color:#fff; width:320px; }
  main { max-width:1100px; margin:0 auto; padding:20px 28px 60px; }
  .intro { color:var(--muted); margin-bottom:18px; }
  h2 { font-size:16px; text-transform:capitalize; margin:28px 0 8px; }
  h2 small { color:var(--muted); font-weight:normal; text-transform:none; margin-left:8px; }
  details.op { background:var(--card); border:1px solid var(--line); border-radius:8px; margin:8px 0; }
  details.op > summary { cursor:pointer; padding:10px 14px; display:flex; gap:12px; align-items:center; list-style:none; }
  details.op > summary::-webkit-details-marker { display:none; }
  .m { font:600 12px ui-monospace,monospace; padding:2px 8px; border-radius:4px; color:#fff; min-width:56px; text-align:center; }
  .m.get { background:#2f9e44; } .m.post { background:#1c7ed6; } .m.sse { background:#9c36b5; }
  .path { font-family:ui-monospace,monospace; font-weight:600; }
  .sum { color:var(--muted); }
  .body { padding:4px 16px 16px; border-top:1px solid var(--line); }
  table { border-collapse:collapse; width:100%; margin:6px 0 12px; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { font-size:12px; color:var(--muted); font-weight:600; }
  td code, .mono { font-family:ui-monospace,monospace; font-size:12.5px; }
  .req { color:#c92a2a; font-size:11px; margin-left:4px; }
  .type { color:#5f3dc4; }
  textarea { width:100%; min-height:70px; font:12.5px ui-monospace,monospace; border:1px solid var(--line); border-radius:6px; padding:8px; }
  button { background:var(--accent); color:#fff; border:0; border-radius:6px; padding:6px 14px; cursor:pointer; }
  pre { background:#0f172a; color:#e2e8f0; padding:10px; border-radius:6px; overflow:auto; max-height:320px; font-size:12px; }
  .tag { display:inline-block; background:#eef2ff; color:#3b5bdb; border-radius:4px; padding:0 6px; font-size:12px; }
</style>
</head>
<body>
<header>
  <h1>Kube-9 API</h1><span id="ver"></span>
  <span class="sp"></span>
  <a href="/openapi.json">openapi.json</a> <a href="/">dashboard</a>
  <input id="token" type="password" placeholder="admin token (for Try it)" autocomplete="off">
</header>
<main>
  <div class="intro" id="intro">Loading /openapi.json ...</div>
  <div id="ops"></div>
</main>
<script>
(function () {
  var TOKEN_KEY = "kube9.token";
  var tokenInput = document.getElementById("token");
  tokenInput.value = localStorage.getItem(TOKEN_KEY) || "";
  tokenInput.addEventListener("change", function () { localStorage.setItem(TOKEN_KEY, tokenInput.value.trim()); });
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  var doc;
  function resolve(s) {
    if (s && s.$ref) return doc.components.schemas[s.$ref.split("/").pop()] || {};
    return s || {};
  }
  function typeOf(s) {
    if (!s) return "any";
    if (s.$ref) return s.$ref.split("/").pop();
    if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
    if (s.oneOf) return s.oneOf.map(typeOf).join(" | ");
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.type === "array") return typeOf(s.items) + "[]";
    if (s.type === "object" && s.additionalProperties && !s.properties) return "{ [key]: " + typeOf(s.additionalProperties) + " }";
    var t = s.type || "any";
    var bounds = [];
    if (s.minimum !== undefined) bounds.push(">= " + s.minimum);
    if (s.maximum !== undefined) bounds.push("<= " + s.maximum);
    if (s.minLength !== undefined) bounds.push("length >= " + s.minLength);
    if (s.maxLength !== undefined) bounds.push("length <= " + s.maxLength);
    if (s.maxItems !== undefined) bounds.push("items <= " + s.maxItems);
    if (s.pattern) bounds.push("pattern " + s.pattern);
    return t + (bounds.length ? " (" + bounds.join(", ") + ")" : "");
  }
  function rows(schema, prefix, out, depth) {
    var s = resolve(schema);
    if (s.anyOf && s.anyOf.length === 2 && s.anyOf.some(function (x) { return x.type === "null"; })) {
      s = resolve(s.anyOf.find(function (x) { return x.type !== "null"; }));
    }
    if (s.type === "array" && depth < 4) {
      var it = resolve(s.items);
      if (it.properties) return rows(it, prefix + "[]", out, depth + 1);
    }
    if (!s.properties || depth > 4) return;
    var req = s.required || [];
    Object.keys(s.properties).forEach(function (k) {
      var p = s.properties[k];
      var name = prefix ? prefix + "." + k : k;
      out.push([name, typeOf(p), req.indexOf(k) >= 0, p.description || ""]);
      var r = resolve(p);
      if ((r.properties || (r.type === "array" && resolve(r.items).properties)) && depth < 3) rows(p, name, out, depth + 1);
    });
  }
  function fieldTable(schema) {
    var out = [];
    rows(schema, "", out, 0);
    if (!out.length) return el("div", { class: "mono", text: typeOf(schema) });
    var t = el("table", {}, [el("tr", {}, [el("th", { text: "field" }), el("th", { text: "type" }), el("th", { text: "notes" })])]);
    out.forEach(function (r) {
      t.appendChild(el("tr", {}, [
        el("td", {}, [el("code", { text: r[0] }), r[2] ? el("span", { class: "req", text: "required" }) : null]),
        el("td", { class: "mono type", text: r[1] }),
        el("td", { text: r[3] }),
      ]));
    });
    return t;
  }
  function tryIt(path, method, isSse, hasInput) {
    var box = el("div");
    var ta = hasInput ? el("textarea", { placeholder: "input as JSON, e.g. {}" }) : null;
    var outPre = el("pre", { style: "display:none" });
    var btn = el("button", { text: isSse ? "Open stream (5 s)" : "Send" });
    btn.addEventListener("click", function () {
      var headers = { "content-type": "application/json" };
      var tok = tokenInput.value.trim();
      if (tok) headers.authorization = "Bearer " + tok;
      var input = ta && ta.value.trim() ? ta.value.trim() : null;
      var url = path;
      var init = { method: method.toUpperCase(), headers: headers };
      if (method === "get" && input) url += "?input=" + encodeURIComponent(input);
      if (method === "post") init.body = input || "{}";
      outPre.style.display = "block";
      outPre.textContent = "...";
      var ctl = new AbortController();
      init.signal = ctl.signal;
      if (isSse) setTimeout(function () { ctl.abort(); }, 5000);
      fetch(url, init).then(function (res) {
        if (!isSse) return res.text().then(function (t) {
          try { t = JSON.stringify(JSON.parse(t), null, 2); } catch (e) {}
          outPre.textContent = res.status + "\\n" + t;
        });
        var reader = res.body.getReader(); var dec = new TextDecoder(); outPre.textContent = "";
        function pump() { return reader.read().then(function (r) { if (r.done) return; outPre.textContent += dec.decode(r.value); return pump(); }); }
        return pump();
      }).catch(function (e) { if (!isSse) outPre.textContent = String(e); });
    });
    box.appendChild(el("h4", { text: "Try it" }));
    if (ta) box.appendChild(ta);
    box.appendChild(btn);
    box.appendChild(outPre);
    return box;
  }
  // With KUBE9_PROTECT_METRICS the description itself needs the admin token.
  var saved = localStorage.getItem(TOKEN_KEY);
  fetch("/openapi.json", saved ? { headers: { authorization: "Bearer " + saved } } : undefined).then(function (r) {
    if (r.status === 401) throw new Error("this API requires the admin token for it: paste the token above and reload");
    return r.json();
  }).then(function (d) {
    doc = d;
    document.getElementById("ver").textContent = "v" + d.info.version + " · OpenAPI " + d.openapi;
    document.getElementById("intro").textContent = d.info.description;
    var byTag = {};
    Object.keys(d.paths).forEach(function (p) {
      Object.keys(d.paths[p]).forEach(function (m) {
        var op = d.paths[p][m];
        var tag = (op.tags || ["misc"])[0];
        (byTag[tag] = byTag[tag] || []).push({ path: p, method: m, op: op });
      });
    });
    var root = document.getElementById("ops");
    (d.tags || []).forEach(function (t) {
      var ops = byTag[t.name] || [];
      if (!ops.length) return;
      root.appendChild(el("h2", {}, [t.name, el("small", { text: t.description || "" })]));
      ops.forEach(function (o) {
        var isSse = !!(o.op.responses["200"].content || {})["text/event-stream"];
        var body = el("div", { class: "body" });
        if (o.op.description) body.appendChild(el("p", { text: o.op.description }));
        if (o.op.security && o.op.security.length === 0) body.appendChild(el("p", {}, [el("span", { class: "tag", text: "no token needed" })]));
        var inSchema = null;
        if (o.op.parameters) inSchema = o.op.parameters[0].content["application/json"].schema;
        if (o.op.requestBody) inSchema = o.op.requestBody.content["application/json"].schema;
        body.appendChild(el("h4", { text: o.method === "get" ? "Input (query parameter input=<JSON>)" : "Input (JSON body)" }));
        body.appendChild(inSchema ? fieldTable(inSchema) : el("div", { class: "mono", text: "none" }));
        var okc = o.op.responses["200"].content;
        var outSchema = (okc["application/json"] || okc["text/event-stream"]).schema;
        if (okc["application/json"]) outSchema = outSchema.properties.result.properties.data;
        body.appendChild(el("h4", { text: isSse ? "Each message (text/event-stream)" : "Result (result.data)" }));
        body.appendChild(fieldTable(outSchema));
        body.appendChild(el("h4", { text: "Errors" }));
        body.appendChild(el("div", { class: "mono", text: Object.keys(o.op.responses).filter(function (c) { return c !== "200"; }).join(" · ") + " — body: { error: { message, code, data: { code, httpStatus, path, issues } } }" }));
        body.appendChild(tryIt(o.path, o.method, isSse, !!inSchema));
        root.appendChild(el("details", { class: "op", id: o.op.operationId }, [
          el("summary", {}, [
            el("span", { class: "m " + (isSse ? "sse" : o.method), text: isSse ? "SSE" : o.method.toUpperCase() }),
            el("span", { class: "path", text: o.path }),
            el("span", { class: "sum", text: o.op.summary || "" }),
          ]),
          body,
        ]));
      });
    });
  }).catch(function (e) { document.getElementById("intro").textContent = "Could not load /openapi.json: " + e; });
})();
</script>
</body>
</html>
`;
