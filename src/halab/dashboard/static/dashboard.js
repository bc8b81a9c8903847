// halab's live dashboard: one server-sent event a second (/api/events) redraws the topology, the
// running fault and its probes; the buttons call the JSON API. No framework, no build step.
"use strict";

// The tiers and the roles, as halab.lab.tiers defines them (from /api/catalogue).
let TIERS = []; // [tier, label, pattern]
let ROLES = []; // [status key, label]: the roles the status names a holder of
let LEAD_KEYS = []; // status keys of each tier's leader: outlined on the page
const PROBE_COLOURS = { http: "#0072B2", postgres: "#009E73", redis: "#D55E00", kafka: "#CC79A7" };
const HISTORY = 180; // points (seconds) kept in the charts
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

let catalogue = null;
let lastRoles = null;
const changes = []; // {at, role, from, to}, newest first
let choice = null; // {scenario} or {fault, target}
let canChange = false; // this browser holds the dashboard's token (GET /api/session)

// -- topology ------------------------------------------------------------------------------------
function leaders(st) {
  return new Set(LEAD_KEYS.map((key) => st[key]).filter(Boolean));
}

function tierFact(group, st) {
  switch (group) {
    case "edge": return st.vip_holder ? `VIP ${st.vip} on ${st.vip_holder}` : `VIP held by ${st.vip_holders.length} nodes`;
    case "postgres": return `leader ${st.pg_leader ?? "none"}, sync standby ${st.pg_sync_standby ?? "none"}`;
    case "etcd": return `leader ${st.etcd_leader ?? "none"}`;
    case "redis": return `master ${st.redis_master ?? "none"}`;
    case "sentinel": {
      const seen = Object.values(st.redis_sentinels || {});
      const agree = seen.length === 3 && seen.every((m) => m && m === seen[0]);
      return agree ? `all 3 agree: master is ${seen[0]}` : "do not agree on the master";
    }
    case "kafka": {
      const leads = Object.entries(st.kafka_partition_leaders || {}).map(([p, b]) => `p${p}→${b ?? "none"}`).join(" ");
      return `controller ${st.kafka_controller ?? "none"}; ${leads}`;
    }
    default: return "";
  }
}

function serviceClass(svc, isLead) {
  if (svc.state === "paused") return "paused";
  if (svc.state !== "running") return "down";
  if (svc.health && svc.health !== "healthy") return "starting";
  return isLead ? "lead" : "";
}

function drawTopology(lab) {
  const st = lab.status;
  $("age").textContent = lab.taken_unix ? `looked ${Math.max(0, Date.now() / 1000 - lab.taken_unix).toFixed(1)} s ago (a look takes ${lab.look_s} s)` : "";
  if (!st) {
    $("health").className = "badge bad";
    $("health").textContent = lab.error ? `cannot see the lab: ${lab.error}` : "looking…";
    return;
  }
  $("health").className = "badge " + (st.healthy ? "ok" : "bad");
  $("health").textContent = st.healthy ? "steady state" : `${st.problems.length} problem${st.problems.length === 1 ? "" : "s"}`;
  $("vip").textContent = st.vip;
  $("vip-holder").textContent = st.vip_holder ?? (st.vip_holders.join(" + ") || "nobody");
  $("pg-leader").textContent = st.pg_leader ?? "none";
  $("pg-sync").textContent = st.pg_sync_standby ?? "none";
  $("redis-master").textContent = st.redis_master ?? "none";
  $("kafka-controller").textContent = st.kafka_controller ?? "none";
  $("etcd-leader").textContent = st.etcd_leader ?? "none";
  const lead = leaders(st);
  const byGroup = {};
  for (const [name, svc] of Object.entries(st.services)) (byGroup[svc.group] ??= []).push([name, svc]);
  $("tiers").innerHTML = TIERS.map(([group, label, idea]) => {
    const members = (byGroup[group] || []).map(([name, svc]) => {
      const state = svc.state === "running" ? (svc.health && svc.health !== "healthy" ? svc.health : "") : svc.state;
      return `<div class="svc ${serviceClass(svc, lead.has(name))}" data-service="${esc(name)}" data-state="${esc(svc.state)}">
        <div class="name">${esc(name)} <span class="state">${esc(state)}</span></div>
        <div class="role">${esc(svc.role ?? "")}</div></div>`;
    }).join("");
    return `<div class="tier" data-group="${group}"><div class="tier-head">${esc(label)} <span class="fact">${esc(tierFact(group, st))}</span></div>
      <div class="fact quiet idea">${esc(idea)}</div><div class="members">${members}</div></div>`;
  }).join("");
  $("problems").innerHTML = st.problems.map((p) => `<li>${esc(p)}</li>`).join("");
}

// Role changes, as the looks see them: who held each role before and who holds it now.
function noteRoleChanges(st, now) {
  if (!st) return;
  const roles = Object.fromEntries(ROLES.map(([key]) => [key, st[key] ?? null]));
  if (lastRoles) {
    for (const [key, label] of ROLES) {
      if (roles[key] !== lastRoles[key]) changes.unshift({ at: now, role: label, from: lastRoles[key], to: roles[key] });
    }
  }
  lastRoles = roles;
  changes.splice(12);
  const clock = (t) => new Date(t * 1000).toLocaleTimeString();
  $("changes").innerHTML = changes.map((c) => `<li data-role="${esc(c.role)}"><span class="quiet">${clock(c.at)}</span>
    ${esc(c.role)}: <b>${esc(c.from ?? "nobody")}</b> → <b>${esc(c.to ?? "nobody")}</b></li>`).join("")
    || `<li class="quiet">none since this page opened</li>`;
}

// -- the fault now -------------------------------------------------------------------------------
function rateClass(r) { return r == null ? "" : r >= 0.999 ? "ok" : r > 0.5 ? "warn" : "bad"; }

function runCard(run) {
  const from = run.source === "make chaos" ? `game day “${esc(run.title)}”, scenario ${run.index} of ${run.total}` : (run.double ? "double fault from the dashboard" : "from the dashboard");
  const phaseWord = esc(run.phase) + (run.halted ? " (halted)" : "");
  const clock = run.countdown_s != null ? `${run.countdown_s.toFixed(1)} s left` : `${run.phase_s.toFixed(0)} s`;
  const probes = run.probes.map((p) => `<tr data-probe="${esc(p.name)}"><td>${esc(p.name)}</td>
      <td class="rate ${rateClass(p.success)}">${p.success == null ? "–" : (p.success * 100).toFixed(0) + " %"}</td>
      <td>${p.ok}/${p.total}</td><td>${p.latency_ms_median ?? "–"}</td><td>${p.latency_ms_max ?? "–"}</td><td>${p.requests}</td></tr>`).join("");
  const still = (run.phase.startsWith("waiting") || run.phase === "recovering") && run.problems.length
    ? `<div class="quiet">still: ${run.problems.map(esc).join("; ")}</div>` : "";
  const done = run.results.length ? `<div class="quiet">done: ${run.results.map((r) => `${esc(r.scenario)} <span class="verdict-${r.verdict}">${esc(r.verdict)}</span>`).join(", ")}</div>` : "";
  return `<div class="runcard" data-scenario="${esc(run.scenario)}">
    <div class="title">${esc(run.scenario)} <span class="quiet source">${from}</span></div>
    <div class="desc">${esc(run.description)}</div>
    <div><b>fault:</b> ${esc(run.fault)}${run.duration_s ? ` for ${run.duration_s} s` : ""}</div>
    <div class="phase"><span id="run-phase" class="word ${esc(run.phase.replace(/ /g, "-"))}">${phaseWord}</span>
      <span class="countdown" id="countdown">${clock}</span><span class="quiet">elapsed ${run.elapsed_s.toFixed(0)} s</span></div>
    <table class="probes"><thead><tr><th>probe</th><th>ok, last 3 s</th><th></th><th>median ms</th><th>max ms</th><th>sent</th></tr></thead>
    <tbody>${probes}</tbody></table>${still}${done}</div>`;
}

function drawRuns(runs) {
  const all = [...(runs.game_day ? [runs.game_day] : []), ...runs.active];
  $("runs").innerHTML = all.length ? all.map(runCard).join("")
    : `<p class="quiet">No fault is running. Pick one on the right, or run <code>make chaos</code>: its game day shows here.</p>`;
  $("recent").innerHTML = runs.recent.map((r) => {
    const verdict = r.verdict ? `<span class="verdict-${r.verdict}">${r.verdict}</span>` : esc(r.status);
    const fo = r.failover_s != null ? `, failover ${r.failover_s.toFixed(2)} s` : "";
    const failed = r.failed_requests != null ? `, ${r.failed_requests} failed requests` : "";
    const link = r.report ? ` <a href="/reports/${r.report}" target="_blank">report</a>` : "";
    return `<li data-run="${esc(r.run_id)}">${esc(r.scenario)}: ${verdict}${fo}${failed}${link}${r.error ? ` <span class="verdict-fail">${esc(r.error)}</span>` : ""}</li>`;
  }).join("");
  return all[0] || null;
}

// -- charts: each probe's rolling success and latency, second by second -------------------------
const series = { t: [], fault: [] };
let charts = null;

function makeCharts() {
  const probes = Object.keys(PROBE_COLOURS);
  for (const p of probes) { series["ok_" + p] = []; series["ms_" + p] = []; }
  const width = () => Math.max(320, $("runs").clientWidth);
  const common = (kind) => ({
    width: width(), height: 190, legend: { show: true },
    scales: { x: { time: true }, y: kind === "ms" ? { distr: 3 } : { range: [0, 100] } },
    series: [{}, ...probes.map((p) => ({ label: p, stroke: PROBE_COLOURS[p], width: 2, spanGaps: false }))],
    axes: [{}, { label: kind === "ms" ? "ms" : "%" }],
    hooks: { drawClear: [shadeFaults] },
  });
  charts = {
    ok: new uPlot(common("ok"), [series.t, ...probes.map((p) => series["ok_" + p])], $("chart-success")),
    ms: new uPlot(common("ms"), [series.t, ...probes.map((p) => series["ms_" + p])], $("chart-latency")),
  };
  window.addEventListener("resize", () => { charts.ok.setSize({ width: width(), height: 190 }); charts.ms.setSize({ width: width(), height: 190 }); });
}

// The seconds a fault was in place, shaded behind the lines (as in the HTML report).
function shadeFaults(u) {
  const ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
  ctx.save();
  ctx.fillStyle = "rgba(213, 94, 0, 0.13)";
  for (let i = 1; i < series.t.length; i++) {
    if (!series.fault[i]) continue; // from the tick before to this one, which saw the fault active
    const x0 = u.valToPos(series.t[i - 1], "x", true), x1 = u.valToPos(series.t[i], "x", true);
    ctx.fillRect(x0, top, x1 - x0, height);
  }
  ctx.restore();
}

function addPoint(now, run) {
  const probes = Object.keys(PROBE_COLOURS);
  const byName = Object.fromEntries((run?.probes || []).map((p) => [p.name, p]));
  series.t.push(now);
  series.fault.push(run && run.phase === "fault active" ? 1 : 0);
  for (const p of probes) {
    const s = byName[p];
    series["ok_" + p].push(s && s.success != null ? s.success * 100 : null);
    series["ms_" + p].push(s && s.latency_ms_median ? Math.max(s.latency_ms_median, 0.1) : null);
  }
  for (const key of Object.keys(series)) if (series[key].length > HISTORY) series[key].shift();
  if (charts) {
    charts.ok.setData([series.t, ...probes.map((p) => series["ok_" + p])]);
    charts.ms.setData([series.t, ...probes.map((p) => series["ms_" + p])]);
  }
}

// -- controls ------------------------------------------------------------------------------------
function say(text, kind) { $("message").textContent = text; $("message").className = "message " + (kind || ""); }

function choose(next, explanation, duration) {
  choice = next;
  document.querySelectorAll("#presets button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.preset === next.scenario)));
  $("explain").classList.remove("quiet");
  $("explain").innerHTML = explanation;
  if (duration) $("duration").value = duration;
  $("inject").disabled = !canChange;
}

function chooseCustom() {
  const fault = $("custom-fault").value, target = $("custom-target").value;
  const f = catalogue.faults.find((x) => x.name === fault);
  const like = catalogue.presets.find((p) => p.fault === fault && p.target === target);
  choose({ fault, target }, `<b>${esc(fault)} ${esc(target)}</b>: ${esc(f?.what)}` +
    (like ? `<br>${esc(like.description)}` : "<br>The request is checked like a game-day scenario before anything is injected."));
}

async function loadCatalogue() {
  catalogue = await (await fetch("/api/catalogue")).json();
  TIERS = catalogue.tiers.map((t) => [t.name, t.label, t.pattern]);
  ROLES = catalogue.roles.filter((r) => r.status_key).map((r) => [r.status_key, r.label]);
  LEAD_KEYS = catalogue.roles.filter((r) => r.leads).map((r) => r.status_key);
  $("presets").innerHTML = catalogue.presets.map((p) =>
    `<button type="button" data-preset="${esc(p.name)}" id="preset-${esc(p.name)}" aria-pressed="false" title="${esc(p.description)}">${esc(p.name)}</button>`).join("");
  document.querySelectorAll("#presets button").forEach((b) => b.addEventListener("click", () => {
    const p = catalogue.presets.find((x) => x.name === b.dataset.preset);
    choose({ scenario: p.name }, `<b>${esc(p.fault)} ${esc(p.target)}</b>${p.expects_role_change ? " (the role should move)" : ""}: ${esc(p.description)}`, p.duration_s);
  }));
  $("custom-fault").innerHTML = catalogue.faults.map((f) => `<option value="${esc(f.name)}">${esc(f.name)}: ${esc(f.what)}</option>`).join("");
  $("custom-target").innerHTML = [...catalogue.roles.map((r) => r.name), ...catalogue.services].map((t) => `<option>${esc(t)}</option>`).join("");
  $("custom-fault").addEventListener("change", chooseCustom);
  $("custom-target").addEventListener("change", chooseCustom);
  $("duration").max = catalogue.max_duration_s;
}

// Without this start's token (the URL that `make dashboard` prints) the page only looks.
async function checkSession() {
  const session = await (await fetch("/api/session")).json();
  canChange = session.can_change;
  $("halt").disabled = !canChange;
  $("inject").disabled = !canChange || !choice;
  $("readonly").hidden = canChange;
  if (!canChange) $("readonly").textContent = "Read-only: " + session.why_not;
}

async function post(path, body) {
  const resp = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : "{}" });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = { error: `HTTP ${resp.status}` }; }
  return [resp.status, data];
}

async function inject() {
  if (!choice) return;
  const body = { ...choice, duration_s: Number($("duration").value), double: $("double").checked };
  say("injecting…");
  const [status, data] = await post("/api/faults", body);
  if (status === 202) say(`injected: ${data.fault} ${data.target ?? ""} for ${data.duration_s} s (${data.scenario}); it reverts on its own`, "done");
  else say(data.error || `HTTP ${status}`, "error");
  if (status === 401) checkSession();
}

async function halt() {
  say("halting: reverting every fault, then healing…");
  $("halt").disabled = true;
  try {
    const [status, data] = await post("/api/halt");
    if (status !== 200) { say(data.error || `HTTP ${status}`, "error"); if (status === 401) checkSession(); return; }
    const parts = [];
    if (data.halted.length) parts.push(`reverted ${data.halted.join(", ")}`);
    if (data.interrupted.length) parts.push(`interrupted ${data.interrupted.join(", ")}`);
    parts.push(data.healed.length ? `healed: ${data.healed.join("; ")}` : "nothing left to heal");
    say("halted: " + parts.join("; "), "done");
  } finally { $("halt").disabled = !canChange; }
}

// -- wiring --------------------------------------------------------------------------------------
function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("tick", (e) => {
    const tick = JSON.parse(e.data);
    drawTopology(tick.lab);
    noteRoleChanges(tick.lab.status, tick.now_unix);
    const run = drawRuns(tick.runs);
    addPoint(tick.now_unix, run);
    document.body.dataset.ticks = String(Number(document.body.dataset.ticks || 0) + 1);
  });
  events.onerror = () => { $("health").className = "badge unknown"; $("health").textContent = "reconnecting to the dashboard…"; };
}

$("inject").addEventListener("click", inject);
$("halt").addEventListener("click", halt);
makeCharts();
checkSession().catch((e) => say(`could not ask the dashboard who may change the lab: ${e}`, "error"));
// The tiers come with the catalogue: draw the lab once they are known.
loadCatalogue().catch((e) => say(`could not load the fault catalogue: ${e}`, "error")).finally(connect);
