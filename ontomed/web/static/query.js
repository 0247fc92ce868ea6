// The query page: YASQE for editing, our own fetch and table for results, so that
// entity IRIs link to this server's entity pages and nothing is fetched from elsewhere.
(function () {
  "use strict";
  const cfg = window.ONTOMED;
  const textarea = document.getElementById("query");
  const form = document.getElementById("query-form");
  const status = document.getElementById("status");
  const downloads = document.getElementById("downloads");
  const table = document.getElementById("table");

  let editor = null;
  const Yasqe = window.Yasqe && (window.Yasqe.default || window.Yasqe);
  if (Yasqe) {
    // No remote autocompletion (the LOV and prefix.cc services): local prefixes and variables only.
    editor = Yasqe.fromTextArea
      ? Yasqe.fromTextArea(textarea, { persistenceId: null, showQueryButton: false,
          autocompleters: ["variables"], resizeable: true, editorHeight: "260px" })
      : new Yasqe(wrapTextArea(textarea), { value: textarea.value, persistenceId: null,
          showQueryButton: false, autocompleters: ["variables"], resizeable: true,
          editorHeight: "260px", extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run } });
    if (editor.setValue && !editor.getValue()) editor.setValue(textarea.value);
  }

  function wrapTextArea(area) {
    const holder = document.createElement("div");
    holder.id = "editor";
    area.parentNode.insertBefore(holder, area);
    area.hidden = true;
    return holder;
  }

  function queryText() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) { if (editor) editor.setValue(text); textarea.value = text; }

  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () { setQuery(button.dataset.query); run(); });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
  });

  function say(text, kind) {
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  async function run() {
    const query = queryText();
    textarea.value = query;
    say("Running…");
    table.textContent = "";
    downloads.hidden = true;
    const began = performance.now();
    let response;
    try {
      response = await fetch(cfg.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
        body: new URLSearchParams({ query: query })
      });
    } catch (error) {
      say("The server could not be reached: " + error, "error");
      return;
    }
    const seconds = ((performance.now() - began) / 1000).toFixed(2);
    const body = await response.text();
    if (!response.ok) { say(response.status + ": " + body.trim(), "error"); return; }
    const type = (response.headers.get("Content-Type") || "").split(";")[0];
    if (type === "application/sparql-results+json") {
      const data = JSON.parse(body);
      if ("boolean" in data) {
        say("Answer: " + data.boolean + " (" + seconds + " s)");
      } else {
        renderTable(data.head.vars, data.results.bindings);
        say(data.results.bindings.length + " row" + (data.results.bindings.length === 1 ? "" : "s") +
            " in " + seconds + " s");
      }
      showDownloads(query, ["json", "xml", "csv", "tsv"]);
    } else {
      const pre = document.createElement("pre");
      pre.className = "graph";
      pre.textContent = body;
      table.appendChild(pre);
      say("Graph (" + type + ") in " + seconds + " s");
      showDownloads(query, ["ttl", "nt", "xml", "jsonld"]);
    }
    const message = response.headers.get("Ontomed-Message");
    if (message) say(status.textContent + ". " + message, "warning");
  }

  function renderTable(vars, rows) {
    const t = document.createElement("table");
    t.id = "results-table";
    const head = t.createTHead().insertRow();
    vars.forEach(function (v) { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
    const tbody = t.createTBody();
    rows.forEach(function (row) {
      const tr = tbody.insertRow();
      vars.forEach(function (v) { tr.insertCell().appendChild(termNode(row[v])); });
    });
    table.appendChild(t);
  }

  function shorten(iri) {
    for (const [prefix, ns] of Object.entries(cfg.prefixes)) {
      if (iri.startsWith(ns) && /^[A-Za-z0-9_.-]*$/.test(iri.slice(ns.length))) return prefix + ":" + iri.slice(ns.length);
    }
    return iri;
  }

  function termNode(term) {
    const span = document.createElement("span");
    if (!term) return span;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.textContent = shorten(term.value);
      a.title = term.value;
      if (term.value.startsWith(cfg.entityNamespace)) {
        a.href = cfg.entityPath + term.value.slice(cfg.entityNamespace.length);
        a.className = "entity-link";
      } else if (/^https?:/.test(term.value)) {
        a.href = term.value;
        a.rel = "noopener";
      }
      return a;
    }
    if (term.type === "bnode") { span.textContent = "_:" + term.value; return span; }
    span.textContent = term.value;
    if (term["xml:lang"]) {
      const lang = document.createElement("span"); lang.className = "lang"; lang.textContent = "@" + term["xml:lang"];
      const wrap = document.createElement("span"); wrap.append(span, lang); return wrap;
    }
    return span;
  }

  function showDownloads(query, formats) {
    downloads.textContent = "Download: ";
    formats.forEach(function (fmt, i) {
      const a = document.createElement("a");
      a.href = cfg.endpoint + "?" + new URLSearchParams({ query: query, format: fmt });
      a.textContent = fmt.toUpperCase();
      a.setAttribute("download", "results." + fmt);
      a.className = "download";
      downloads.appendChild(a);
      if (i < formats.length - 1) downloads.appendChild(document.createTextNode(" · "));
    });
    downloads.hidden = false;
  }
})();
