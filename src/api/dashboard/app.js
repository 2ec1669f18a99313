// hearken dashboard: alert queue (live), reputation charts, search.
// Plain JavaScript talking to this server's API with the token kept in sessionStorage.
"use strict";

const CATEGORIES = ["wait_time", "staff_attitude", "misdiagnosis", "treatment_harm", "medication", "communication",
  "records_access", "billing", "appointment_access", "hygiene", "food", "facilities", "staffing", "continuity",
  "privacy", "legal_threat"];
const COLORS = ["#0b5cad", "#c0392b", "#d9730d", "#2e8b57", "#8e44ad", "#16a085", "#a68a00", "#7f8c8d",
  "#e84393", "#2c3e50", "#6c5ce7", "#00838f", "#ad1457", "#558b2f", "#4e342e", "#b3261e"];
const $ = sel => document.querySelector(sel);
const TOKEN_KEY = "hearken.token";

// ---- API access -------------------------------------------------------------------
function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

async function api(path, options) {
  options = options || {};
  const headers = Object.assign({ "Authorization": "Bearer " + token() }, options.headers || {});
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method: options.method || "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  if (!res.ok) {
    let message = res.status + " " + res.statusText;
    try { message = (await res.json()).error || message; } catch (_) { /* not JSON */ }
    if (res.status === 401) showTokenForm(message);
    const err = new Error(message); err.status = res.status; throw err;
  }
  return res.json();
}

function showError(e) {
  const box = $("#error");
  if (!e) { box.hidden = true; return; }
  box.textContent = e.message || String(e);
  box.hidden = false;
}

function showTokenForm(message) {
  $("#token-form").hidden = false;
  $("#token-message").textContent = message || "";
  $("#token-input").focus();
}

$("#token-button").addEventListener("click", () => showTokenForm(token() ? "A token is set for this tab." : "No token yet."));
$("#token-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const t = $("#token-input").value.trim();
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  $("#token-input").value = "";
  $("#token-form").hidden = true;
  start();
});
$("#token-forget").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); stopStream(); showTokenForm("Token forgotten."); });

// ---- text helpers -----------------------------------------------------------------
function text(tag, content, cls) {
  const e = document.createElement(tag);
  if (content !== undefined && content !== null) e.textContent = content;
  if (cls) e.className = cls;
  return e;
}
function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
function day(seconds) { return new Date(seconds * 1000).toISOString().slice(0, 10); }

// Marks the given spans ([{start, end, kind}], UTF-16 offsets) in `s`, safely (text nodes only).
function highlighted(s, spans) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const h of spans.slice().sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (h.start < at) continue; // overlaps the previous mark
    frag.appendChild(document.createTextNode(s.slice(at, h.start)));
    const m = text("mark", s.slice(h.start, h.end), h.kind === "entity" ? "entity" : "evidence");
    m.title = h.label || "";
    frag.appendChild(m);
    at = h.end;
  }
  frag.appendChild(document.createTextNode(s.slice(at)));
  return frag;
}
// Spans of each term (case-insensitive) in s: how the queue marks a summary's evidence.
function termSpans(s, terms) {
  const lower = s.toLowerCase(), out = [];
  for (const t of terms || []) {
    const needle = t.toLowerCase().trim();
    if (!needle) continue;
    let i = lower.indexOf(needle);
    while (i >= 0) { out.push({ start: i, end: i + needle.length, kind: "evidence", label: t }); i = lower.indexOf(needle, i + needle.length); }
  }
  return out;
}

// ---- views ------------------------------------------------------------------------
let entities = null;
async function loadEntities() {
  if (entities) return entities;
  entities = (await api("/api/entities")).entities;
  return entities;
}
function fillSelect(select, items, keep) {
  const first = keep ? [...select.options].slice(0, 1) : [];
  select.replaceChildren(...first);
  for (const [value, label] of items) { const o = text("option", label); o.value = value; select.appendChild(o); }
}

function currentView() {
  const p = location.pathname.replace(/^\//, "");
  return ["queue", "reputation", "search"].includes(p) ? p : "queue";
}
function showView(name) {
  for (const v of ["queue", "reputation", "search"]) $("#view-" + v).hidden = v !== name;
  document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.view === name));
}
document.querySelectorAll("nav a").forEach(a => a.addEventListener("click", ev => {
  ev.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  route();
}));
window.addEventListener("popstate", route);

async function route() {
  showError(null);
  const view = currentView();
  showView(view);
  if (!token()) { showTokenForm("Enter your API token to start."); return; }
  try {
    if (view === "queue") { await loadQueue(); startStream(); }
    else if (view === "reputation") { stopStream(); await loadReputation(); }
    else { stopStream(); await loadSearchFromUrl(); }
  } catch (e) { showError(e); }
}
function start() { route(); }

// ---- alert queue --------------------------------------------------------------------
fillSelect($("#queue-filters [name=category]"), CATEGORIES.map(c => [c, c.replace(/_/g, " ")]), true);
$("#queue-filters").addEventListener("change", () => loadQueue().catch(showError));
const expanded = new Set();
const seen = new Set();

function queueQuery() {
  const form = new FormData($("#queue-filters"));
  const q = new URLSearchParams();
  for (const [k, v] of form) if (v) q.set(k, v);
  q.set("limit", "100");
  return q.toString();
}

let queueLoading = null;
async function loadQueue() {
  if (!entities) {
    try { fillSelect($("#queue-filters [name=entity]"), (await loadEntities()).map(e => [e.kind + ":" + e.id, e.name]), true); }
    catch (e) { if (e.status !== 403) throw e; }
  }
  const data = await api("/api/alerts?" + queueQuery());
  const list = $("#queue");
  const first = seen.size === 0;
  list.replaceChildren(...data.alerts.map(a => alertCard(a, !first && !seen.has(a.id))));
  data.alerts.forEach(a => seen.add(a.id));
  $("#queue-count").textContent = data.alerts.length + (data.alerts.length === 1 ? " case" : " cases") + " in the queue";
}
// Many changes arrive in bursts: reload the queue at most every 300 ms.
function scheduleQueueReload() {
  if (queueLoading) return;
  queueLoading = setTimeout(() => { queueLoading = null; loadQueue().catch(showError); }, 300);
}

function alertCard(a, fresh) {
  const li = text("li", null, "card " + a.priority + (fresh ? " fresh" : ""));
  li.dataset.caseId = a.id;
  li.dataset.status = a.status;
  const h = document.createElement("header");
  h.append(text("span", a.priority, "badge " + a.priority), text("span", a.status, "status " + a.status),
    text("strong", a.entity.id), text("span", a.entity.kind, "muted"));
  for (const c of a.categories) h.append(text("span", c.replace(/_/g, " "), "badge"));
  if (a.kind === "spike") h.append(text("span", "spike", "badge P1"));
  h.append(text("span", when(a.updated_at), "muted"));
  li.append(h);
  const p = text("p", null, "summary");
  p.append(highlighted(a.summary, termSpans(a.summary, a.evidence)));
  li.append(p);
  const meta = [];
  if (a.spread && a.spread.authors) meta.push(a.spread.authors + " author(s), reach " + a.spread.reach + ", on " + a.spread.sources.join(", "));
  if (a.assignee) meta.push("assigned to " + a.assignee);
  if (a.reasons.length) meta.push("why: " + a.reasons.join("; "));
  if (meta.length) li.append(text("p", meta.join(" · "), "muted"));
  const actions = text("div", null, "actions");
  const act = (label, action, enabled, ask) => {
    const b = text("button", label, action === "ack" ? "small" : "small secondary");
    b.type = "button"; b.dataset.action = action; b.disabled = !enabled;
    b.addEventListener("click", () => caseAction(a.id, action, ask));
    actions.append(b);
  };
  const closed = a.status === "resolved" || a.status === "dismissed";
  act("Acknowledge", "ack", a.status === "open");
  act("Assign…", "assign", !closed, "Assign to whom?");
  act("Note…", "note", true, "Note for the audit trail:");
  act("Resolve", "resolve", !closed);
  act("Dismiss as noise", "dismiss", !closed);
  if (a.kind !== "spike") act("Merge into…", "merge", !closed, "Merge into which case? (its id, e.g. from the other card)");
  const more = text("button", expanded.has(a.id) ? "Hide posts" : "Posts & trail", "small secondary");
  more.type = "button";
  more.addEventListener("click", () => { if (expanded.has(a.id)) expanded.delete(a.id); else expanded.add(a.id); loadQueue().catch(showError); });
  actions.append(more);
  li.append(actions);
  if (expanded.has(a.id)) {
    const d = text("div", "Loading…", "detail");
    li.append(d);
    loadDetail(a.id, d);
  }
  return li;
}

async function loadDetail(id, box) {
  try {
    const d = await api("/api/cases/" + encodeURIComponent(id));
    box.replaceChildren();
    for (const p of d.posts) {
      const div = text("div", null, "post");
      const who = p.post.author && p.post.author.handle ? "@" + p.post.author.handle : "unknown author";
      div.append(text("div", `${who} · ${p.post.source || ""} · ${when(p.post.created_at)} · sentiment ${p.assessment.sentiment.compound.toFixed(2)}`, "muted"));
      const body = text("p"); body.append(highlighted(p.post.text, p.highlights)); div.append(body);
      if (p.post.url) { const a = text("a", "open the post"); a.href = p.post.url; a.rel = "noopener noreferrer"; a.target = "_blank"; div.append(a); }
      box.append(div);
    }
    const trail = text("ol", null, "trail");
    for (const e of d.events) trail.append(text("li", `${when(e.at)} — ${e.kind.replace(/_/g, " ")} by ${e.actor}${e.note ? ": " + e.note : ""}`));
    box.append(text("strong", "Audit trail"), trail);
  } catch (e) { box.textContent = e.message; }
}

async function caseAction(id, action, ask) {
  const body = {};
  if (ask) {
    const answer = window.prompt(ask);
    if (answer === null || !answer.trim()) return;
    if (action === "assign") body.assignee = answer.trim();
    else if (action === "merge") body.into = answer.trim();
    else body.note = answer.trim();
  }
  try {
    await api(`/api/cases/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
    await loadQueue();
  } catch (e) { showError(e); }
}

// Live updates: the SSE stream read with fetch (EventSource cannot send the token header).
let stream = null;
function setLive(on, label) { const l = $("#live"); l.classList.toggle("on", on); l.classList.toggle("off", !on); l.textContent = label; }
function stopStream() { if (stream) { stream.abort(); stream = null; } setLive(false, "offline"); }
function startStream() {
  if (stream) return;
  const ctrl = new AbortController();
  stream = ctrl;
  (async () => {
    let delay = 1000;
    while (!ctrl.signal.aborted) {
      try {
        const res = await fetch("/api/alerts/stream", { headers: { "Authorization": "Bearer " + token() }, signal: ctrl.signal });
        if (!res.ok) { if (res.status === 401 || res.status === 403) { setLive(false, "no access"); stream = null; return; } throw new Error(res.statusText); }
        setLive(true, "live"); delay = 1000;
        loadQueue().catch(showError); // catch up on what happened while disconnected
        const reader = res.body.getReader(), dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
            const ev = /^event: ?(.*)$/m.exec(block);
            if (ev && (ev[1] === "change" || ev[1] === "reload")) scheduleQueueReload();
          }
        }
      } catch (e) { if (ctrl.signal.aborted) return; }
      setLive(false, "reconnecting");
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  })();
}

// ---- reputation ----------------------------------------------------------------------
$("#trend-filters").addEventListener("change", () => loadReputation().catch(showError));

async function loadReputation() {
  const sel = $("#trend-filters [name=entity]");
  if (!sel.options.length) {
    try { fillSelect(sel, [["", "busiest hospital"]].concat((await loadEntities()).filter(e => e.kind !== "department").map(e => [e.kind + ":" + e.id, e.name + " (" + e.kind + ")"]))); }
    catch (e) { if (e.status !== 403) throw e; fillSelect(sel, [["", "busiest hospital"]]); }
  }
  const form = new FormData($("#trend-filters"));
  const q = new URLSearchParams();
  for (const [k, v] of form) if (v) q.set(k, v);
  const t = await api("/api/trends?" + q);
  const width = { hour: 3600, day: 86400, week: 604800 }[t.bucket];
  const label = s => t.bucket === "hour" ? new Date(s * 1000).toISOString().slice(5, 13).replace("T", " ") + "h" : day(s).slice(5);
  $("#trend-range").textContent = `${t.entity.kind} ${t.entity.id}: ${day(t.range.from)} to ${day(t.range.to - 1)}, per ${t.bucket} (${t.backend} store)`;
  const drill = (start, extra) => {
    const qs = new URLSearchParams({ q: `entity:${t.entity.id}` + (extra ? " " + extra : ""), from: day(start), to: day(Math.max(start + width, start + 86400)) });
    history.pushState(null, "", "/search?" + qs); route();
  };
  const points = t.series.map(p => ({ start: p.start, label: label(p.start), values: { negative: p.negative, neutral: p.neutral, positive: p.positive }, mean: p.posts ? p.sentiment_milli_sum / 1000 / p.posts : null }));
  // Buckets without posts are absent from the series: fill them so time reads evenly.
  const all = [];
  for (let s = points.length ? Math.min(points[0].start, t.range.from - ((t.range.from % width) + width) % width) : t.range.from; s < t.range.to; s += width) {
    all.push(points.find(p => p.start === s) || { start: s, label: label(s), values: {}, mean: null });
  }
  const sentimentKeys = [{ key: "negative", color: "#c0392b", name: "negative" }, { key: "neutral", color: "#95a0ad", name: "neutral" }, { key: "positive", color: "#2e8b57", name: "positive" }];
  legend($("#legend-volume"), sentimentKeys);
  Charts.stackedBars($("#chart-volume"), all, sentimentKeys, {
    name: "volume", label: "posts per " + t.bucket, width,
    markers: t.spikes.map(s => ({ start: s.at, text: s.summary })), onClick: p => drill(p.start),
  });
  Charts.line($("#chart-sentiment"), all.map(p => ({ label: p.label, value: p.mean })), { name: "sentiment", label: "mean sentiment" });
  const cats = [...new Set(t.categories_over_time.flatMap(b => Object.keys(b.counts)))].sort();
  const catKeys = cats.map(c => ({ key: c, name: c.replace(/_/g, " "), color: COLORS[CATEGORIES.indexOf(c) % COLORS.length] }));
  legend($("#legend-categories"), catKeys);
  Charts.stackedBars($("#chart-categories"), t.categories_over_time.map(b => ({ start: b.start, label: label(b.start), values: b.counts })), catKeys, {
    name: "categories", label: "complaints per category", width, onClick: p => drill(p.start),
  });
  Charts.hbars($("#chart-top"), t.top_categories.map(c => ({
    label: c.category.replace(/_/g, " "), value: c.count, category: c.category,
    note: `${c.count} (${c.change >= 0 ? "+" : ""}${c.change} vs ${c.previous})`, color: COLORS[CATEGORIES.indexOf(c.category) % COLORS.length],
  })), { name: "top", onClick: r => drill(t.range.from, "category:" + r.category) });
  const share = rows => rows.map(s => ({ label: s.key, value: s.posts, note: `${(s.share * 100).toFixed(1)}% · ${s.posts}` }));
  Charts.hbars($("#chart-sov"), share(t.share_of_voice), { name: "share" });
  Charts.hbars($("#chart-sources"), share(t.by_source), { name: "sources" });
  Charts.hbars($("#chart-languages"), share(t.by_language), { name: "languages" });
}
function legend(box, keys) {
  box.replaceChildren();
  for (const k of keys) { const i = document.createElement("i"); i.style.background = k.color; box.append(i, document.createTextNode(k.name)); }
}

// ---- search ----------------------------------------------------------------------------
$("#search-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const qs = new URLSearchParams();
  for (const [k, v] of new FormData($("#search-form"))) if (v) qs.set(k, v);
  history.pushState(null, "", "/search?" + qs);
  loadSearchFromUrl().catch(showError);
});

const FACET_FIELD = { entity: "entity", category: "category", sentiment: "sentiment", language: "lang" };
async function loadSearchFromUrl() {
  const qs = new URLSearchParams(location.search);
  const form = $("#search-form");
  for (const k of ["q", "from", "to"]) form.elements[k].value = qs.get(k) || "";
  if (!qs.get("q")) { $("#hits").replaceChildren(); $("#facets").replaceChildren(); $("#search-count").textContent = "Type words to search the posts, or * for all."; return; }
  qs.set("limit", "50");
  const r = await api("/api/search?" + qs);
  $("#search-count").textContent = `${r.total} post(s)` + (r.facets_exact ? "" : " (facets counted over the first matches)");
  const terms = qs.get("q").replace(/\b\w+:\S+/g, " ").replace(/\b(AND|OR|NOT)\b/g, " ").replace(/[()"*]/g, " ").split(/\s+/).filter(w => w.length > 1);
  $("#hits").replaceChildren(...r.hits.map(h => {
    const li = text("li", null, "card " + h.priority);
    li.append(text("div", `${h.created_at.slice(0, 16).replace("T", " ")} · ${h.source} · ${h.lang} · ${h.sentiment} · ${h.entities.join(", ")}${h.categories.length ? " · " + h.categories.join(", ") : ""}`, "muted"));
    const p = text("p", null, "summary"); p.append(highlighted(h.text, termSpans(h.text, terms))); li.append(p);
    return li;
  }));
  const box = $("#facets");
  box.replaceChildren();
  for (const [facet, values] of Object.entries(r.facets)) {
    const entries = Object.entries(values).sort((a, b) => facet === "date" ? b[0].localeCompare(a[0]) : b[1] - a[1]).slice(0, 12);
    if (!entries.length) continue;
    box.append(text("h3", facet));
    const ul = text("ul");
    for (const [value, n] of entries) {
      const li = text("li");
      const a = text("a", value); a.tabIndex = 0;
      a.addEventListener("click", () => {
        const next = new URLSearchParams(location.search);
        if (facet === "date") { next.set("from", value); next.set("to", day(Date.parse(value) / 1000 + 86400)); }
        else if (FACET_FIELD[facet]) next.set("q", `${next.get("q")} ${FACET_FIELD[facet]}:${value}`);
        else return;
        history.pushState(null, "", "/search?" + next); loadSearchFromUrl().catch(showError);
      });
      li.append(a, document.createTextNode(" " + n));
      ul.append(li);
    }
    box.append(ul);
  }
}

route();
