// GridWatch command-centre dashboard: one page, no framework, no network
// access beyond gridwatch-central itself (docs/dashboard.md).
"use strict";

const state = {
  lang: localStorage.getItem("gw.lang") || "zh",
  session: null,           // {auth, user, role, csrf_token}
  incidents: new Map(),    // id -> incident (the board's open ones)
  gateways: new Map(),     // gateway_id -> fleet record
  seen: new Set(),         // incident ids known, so only new ones alarm
  socket: null,
  cues: 0,                 // new fire/smoke cues given (visible to tests)
  audio: null,
};

const OPEN_STATES = ["new", "dispatched", "acknowledged", "on_scene", "feedback", "resolved"];
const ALARM_KINDS = new Set(["fire", "smoke"]);
const SEVERITY_RANK = {extreme: 0, severe: 1, moderate: 2, minor: 3, unknown: 4};
// Which actions each state allows (central/core/dispatch.cpp is the truth;
// this only decides which buttons to show).
const ACTIONS_BY_STATE = {
  new: ["dispatch", "cancel", "false_alarm"],
  dispatched: ["acknowledge", "arrive", "dispatch", "cancel", "false_alarm"],
  acknowledged: ["arrive", "dispatch", "cancel", "false_alarm"],
  on_scene: ["feedback", "resolve", "cancel", "false_alarm"],
  feedback: ["feedback", "resolve", "cancel", "false_alarm"],
  resolved: ["close"],
};
// The least role per action (central/auth/roles.hpp; the server enforces it).
const LEAST_ROLE = {cancel: "supervisor", false_alarm: "supervisor"};
const ROLE_RANK = {operator: 0, supervisor: 1, admin: 2};

// --- text ------------------------------------------------------------------

function t(key, values) {
  const table = window.GW_STRINGS[state.lang] || window.GW_STRINGS.zh;
  let text = table[key] !== undefined ? table[key] : (window.GW_STRINGS.en[key] || key);
  for (const [name, value] of Object.entries(values || {})) text = text.split("{" + name + "}").join(String(value));
  return text;
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    // CSSOM, not a style attribute: the page's CSP forbids inline styles.
    else if (name === "style") Object.assign(node.style, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(total / 86400), hours = Math.floor(total % 86400 / 3600);
  const minutes = Math.floor(total % 3600 / 60), seconds = total % 60;
  if (days > 0) return days + "d " + hours + "h";
  if (hours > 0) return hours + "h " + String(minutes).padStart(2, "0") + "m";
  return minutes + ":" + String(seconds).padStart(2, "0");
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", {hour12: false}) : "—";
}

function applyStaticText() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.getElementById("lang").textContent = state.lang === "zh" ? "English" : "中文";
  if (state.session) {
    const role = t("role." + state.session.role);
    document.getElementById("who").textContent = state.session.user ? state.session.user + " · " + role : role;
  }
}

// --- API -------------------------------------------------------------------

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session && state.session.csrf_token) headers["X-CSRF-Token"] = state.session.csrf_token;
  const response = await fetch(path, {method, headers, credentials: "same-origin",
                                      body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  try { data = await response.json(); } catch (ignored) { data = null; }
  if (response.status === 401 && path !== "/api/v1/session") showSignIn();
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error : "HTTP " + response.status);
    error.status = response.status;
    throw error;
  }
  return data;
}

// --- urgency and SLA clocks ------------------------------------------------

let sla = {dispatch_s: 30, on_scene_s: 180, feedback_s: 180};

/// The clock running now for an incident: which one, its deadline, and
/// its traffic light (green: over half the time left, yellow: less, red: overdue).
function runningClock(incident, now) {
  const d = incident.dispatch || {};
  let name = null, start = null, limit = 0;
  if (incident.state === "new") { name = "dispatch"; start = incident.detected_at_ms; limit = sla.dispatch_s; }
  else if (incident.state === "dispatched" || incident.state === "acknowledged") {
    name = "on_scene"; start = d.dispatched_ms; limit = sla.on_scene_s;
  } else if (incident.state === "on_scene") { name = "feedback"; start = d.on_scene_ms; limit = sla.feedback_s; }
  if (!name || !start) return {name: null, remaining: Infinity, light: "none"};
  const remaining = start + limit * 1000 - now;
  const light = remaining < 0 ? "red" : remaining < limit * 500 ? "yellow" : "green";
  return {name, remaining, light};
}

function urgencyOrder(a, b, now) {
  const ca = runningClock(a, now), cb = runningClock(b, now);
  if (ca.remaining !== cb.remaining) return ca.remaining - cb.remaining;
  const light = {red: 0, yellow: 1, green: 2, none: 3};
  const la = light[(a.dispatch || {}).light] ?? 3, lb = light[(b.dispatch || {}).light] ?? 3;
  if (la !== lb) return la - lb;
  const sa = SEVERITY_RANK[a.severity] ?? 4, sb = SEVERITY_RANK[b.severity] ?? 4;
  if (sa !== sb) return sa - sb;
  return a.detected_at_ms - b.detected_at_ms;
}

// --- views -----------------------------------------------------------------

const view = () => document.getElementById("view");
let currentRoute = "";

function route() {
  if (!state.session) return;
  const hash = location.hash || "#/board";
  currentRoute = hash;
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", hash.startsWith(link.getAttribute("href")));
  }
  const incident = hash.match(/^#\/incident\/(\d+)$/);
  const render = incident ? () => renderIncident(Number(incident[1]))
               : hash.startsWith("#/map") ? renderMap
               : hash.startsWith("#/fleet") ? renderFleet
               : hash.startsWith("#/stats") ? renderStats
               : renderBoard;
  render().catch(error => { view().replaceChildren(el("p", {class: "error"}, error.message)); });
}

async function loadBoard() {
  const data = await api("GET", "/api/v1/incidents?limit=500&state=" + OPEN_STATES.join(","));
  state.incidents.clear();
  for (const incident of data.incidents) { state.incidents.set(incident.id, incident); state.seen.add(incident.id); }
}

async function renderBoard() {
  await loadBoard();
  drawBoard();
}

function drawBoard() {
  if (!currentRoute.startsWith("#/board") && currentRoute !== "") return;
  const now = Date.now();
  const list = [...state.incidents.values()].sort((a, b) => urgencyOrder(a, b, now));
  const rows = list.map(incident => {
    const clock = runningClock(incident, now);
    const d = incident.dispatch || {};
    const clockText = clock.name
      ? t("clock." + clock.name) + " " + (clock.remaining < 0 ? t("clock.overdue", {time: duration(-clock.remaining)})
                                                              : t("clock.left", {time: duration(clock.remaining)}))
      : t("clock.done");
    return el("tr", {class: "incident light-" + clock.light + (ALARM_KINDS.has(incident.kind) ? " fire" : ""),
                     "data-id": incident.id, "data-state": incident.state,
                     onclick: () => { location.hash = "#/incident/" + incident.id; }},
      el("td", {}, "#" + incident.id),
      el("td", {class: "kind"}, t("kind." + incident.kind)),
      el("td", {}, t("severity." + incident.severity)),
      el("td", {class: "state"}, t("state." + incident.state)),
      el("td", {}, d.cell_id || t("unrouted"), " · ", incident.gateway_id),
      el("td", {}, d.unit || "—"),
      el("td", {}, t("level." + (d.level || "grid"))),
      el("td", {class: "sla sla-" + clock.light}, clockText),
      el("td", {}, duration(now - incident.detected_at_ms)),
      el("td", {class: "light light-days-" + (d.light || "none")}, t("light." + (d.light || "none"))));
  });
  view().replaceChildren(
    el("h2", {}, t("board.title")),
    list.length === 0 ? el("p", {class: "empty"}, t("board.empty"))
      : el("table", {id: "board", class: "board"},
          el("thead", {}, el("tr", {}, ...["id", "kind", "severity", "state", "where", "unit", "level", "sla", "age",
                                            "light"].map(c => el("th", {}, t("col." + c))))),
          el("tbody", {}, rows)));
}

async function renderIncident(id) {
  const data = await api("GET", "/api/v1/incidents/" + id);
  const incident = data.incident;
  const d = incident.dispatch || {};
  const role = state.session.role;
  const allowed = (ACTIONS_BY_STATE[incident.state] || [])
    .filter(action => ROLE_RANK[role] >= ROLE_RANK[LEAST_ROLE[action] || "operator"]);
  const message = el("p", {id: "action-message", role: "status"});
  const unitInput = el("input", {id: "action-unit", value: d.unit || "", placeholder: t("action.unit")});
  const noteInput = el("input", {id: "action-note", placeholder: t("action.note")});
  const ratingInput = el("select", {id: "action-rating"}, ...[5, 4, 3, 2, 1].map(n => el("option", {value: n}, "★".repeat(n))));
  async function act(action) {
    const body = {action};
    if (action === "dispatch") body.unit = unitInput.value.trim();
    if (noteInput.value.trim()) body.note = noteInput.value.trim();
    if (action === "close") body.satisfaction = Number(ratingInput.value);
    if (state.session.auth === "off") body.actor = "dashboard";
    try {
      await api("POST", "/api/v1/incidents/" + id + "/transitions", body);
      await renderIncident(id);
      document.getElementById("action-message").textContent = t("action.done", {action: t("action." + action)});
    } catch (error) {
      message.textContent = t("action.failed", {error: error.message});
      message.className = "error";
    }
  }
  const evidence = [];
  for (const alert of data.alerts) {
    for (const evidenceId of alert.evidence || []) {
      const frame = el("figure", {class: "evidence"},
        el("div", {class: "frame"},
          el("img", {src: "/api/v1/evidence/" + encodeURIComponent(evidenceId), alt: evidenceId}),
          alert.box ? el("div", {class: "box", style: {left: alert.box[0] * 100 + "%", top: alert.box[1] * 100 + "%",
                                                       width: alert.box[2] * 100 + "%", height: alert.box[3] * 100 + "%"}})
                    : null),
        el("figcaption", {}, when(alert.detected_at_ms), " · ", alert.location && alert.location.camera || "",
           alert.location && alert.location.zone ? " · " + t("detail.zone", {zone: alert.location.zone}) : ""));
      evidence.push(frame);
    }
  }
  view().replaceChildren(
    el("p", {}, el("a", {href: "#/board"}, "← " + t("detail.back"))),
    el("h2", {id: "incident-title", "data-state": incident.state},
       t("detail.title", {id}), " · ", t("kind." + incident.kind), " · ",
       el("span", {id: "incident-state"}, t("state." + incident.state))),
    el("dl", {class: "facts"},
      el("dt", {}, t("col.severity")), el("dd", {}, t("severity." + incident.severity) + " / " + incident.urgency + " / " + incident.certainty),
      el("dt", {}, t("col.where")), el("dd", {}, (d.cell_id || t("unrouted")) + " · " + incident.gateway_id +
                                               (incident.camera ? " · " + incident.camera : "") + (incident.sensor ? " · " + incident.sensor : "")),
      el("dt", {}, t("col.unit")), el("dd", {}, (d.department || "—") + " / " + (d.unit || "—") + " · " + t("level." + d.level)),
      el("dt", {}, t("col.summary")), el("dd", {}, incident.summary),
      el("dt", {}, t("col.light")), el("dd", {class: "light-days-" + d.light}, t("light." + (d.light || "none")) +
                                                                   (d.breaches ? " · " + d.breaches : ""))),
    el("section", {id: "actions"}, el("h3", {}, t("detail.actions")),
      allowed.length === 0 ? el("p", {}, t("detail.none")) : null,
      allowed.includes("dispatch") ? unitInput : null,
      allowed.some(a => ["feedback", "cancel", "false_alarm", "resolve", "close"].includes(a)) ? noteInput : null,
      allowed.includes("close") ? ratingInput : null,
      ...allowed.map(action => el("button", {type: "button", class: "action", "data-action": action,
                                             onclick: () => act(action)}, t("action." + action))),
      message),
    el("section", {}, el("h3", {}, t("detail.evidence")), evidence.length ? el("div", {class: "evidence-list"}, evidence)
                                                                          : el("p", {}, t("detail.none"))),
    el("section", {}, el("h3", {}, t("detail.alerts")),
      el("table", {class: "list"}, el("tbody", {}, data.alerts.map(alert => el("tr", {},
        el("td", {}, when(alert.detected_at_ms)), el("td", {}, alert.phase), el("td", {}, t("severity." + alert.severity)),
        el("td", {}, alert.value !== undefined ? alert.value + " " + (alert.unit || "") : ""),
        el("td", {}, alert.summary || "")))))),
    el("section", {}, el("h3", {}, t("detail.related")),
      data.related.length === 0 ? el("p", {}, t("detail.none"))
        : el("ul", {}, data.related.map(other => el("li", {}, el("a", {href: "#/incident/" + other.id},
            "#" + other.id + " " + t("kind." + other.kind) + " · " + t("state." + other.state) + " · " + when(other.detected_at_ms)))))),
    el("section", {}, el("h3", {}, t("detail.timeline")),
      el("table", {id: "timeline", class: "list"},
        el("thead", {}, el("tr", {}, ...["time", "actor", "action", "state", "note"].map(c => el("th", {}, t("col." + c))))),
        el("tbody", {}, data.timeline.map(event => el("tr", {},
          el("td", {}, when(event.at_ms)), el("td", {}, event.actor), el("td", {}, event.action),
          el("td", {}, event.from_state && event.to_state && event.from_state !== event.to_state ? t("state." + event.from_state) + " → " + t("state." + event.to_state) : ""),
          el("td", {}, event.note)))))));
}

async function renderFleet() {
  const data = await api("GET", "/api/v1/fleet");
  state.gateways.clear();
  for (const gateway of data.gateways) state.gateways.set(gateway.gateway_id, gateway);
  drawFleet();
}

function drawFleet() {
  if (!currentRoute.startsWith("#/fleet")) return;
  const list = [...state.gateways.values()].sort((a, b) => a.gateway_id.localeCompare(b.gateway_id));
  const online = list.filter(g => g.presence === "online").length;
  const devices = items => items.length === 0 ? "—"
    : items.map(item => item.id + (item.state === "ok" ? "" : " (" + item.state + ")")).join(", ");
  view().replaceChildren(
    el("h2", {}, t("fleet.title")),
    el("p", {}, t("fleet.summary", {total: list.length, online, offline: list.length - online})),
    el("table", {id: "fleet", class: "list"},
      el("thead", {}, el("tr", {}, ...["gateway", "presence", "cell", "cameras", "sensors", "last_seen", "outbox",
                                        "dropped"].map(c => el("th", {}, t("col." + c))))),
      el("tbody", {}, list.map(g => el("tr", {class: "presence-" + g.presence, "data-gateway": g.gateway_id},
        el("td", {}, g.gateway_id), el("td", {class: "presence"}, t("presence." + g.presence)),
        el("td", {}, g.cell_id || "—"), el("td", {}, devices(g.cameras)), el("td", {}, devices(g.sensors)),
        el("td", {}, when(g.last_seen_ms)), el("td", {}, g.outbox_depth ?? "—"), el("td", {}, g.dropped ?? "—"))))));
}

// The map: grid cells from GeoJSON, projected onto a plain SVG (no tiles).
let cells = null;

async function renderMap() {
  if (cells === null) cells = await api("GET", "/api/v1/cells");
  const [fleet] = await Promise.all([api("GET", "/api/v1/fleet"), loadBoard()]);
  state.gateways.clear();
  for (const gateway of fleet.gateways) state.gateways.set(gateway.gateway_id, gateway);
  drawMap();
}

function drawMap() {
  if (!currentRoute.startsWith("#/map")) return;
  const points = [];
  const rings = feature => {
    const g = feature.geometry || {};
    return g.type === "Polygon" ? g.coordinates : g.type === "MultiPolygon" ? g.coordinates.flat() : [];
  };
  for (const feature of cells.features || []) for (const ring of rings(feature)) points.push(...ring);
  for (const g of state.gateways.values()) if (g.lat !== null && g.lon !== null) points.push([g.lon, g.lat]);
  for (const i of state.incidents.values()) points.push([i.lon, i.lat]);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("id", "map");
  svg.setAttribute("viewBox", "0 0 1000 700");
  if (points.length === 0) { view().replaceChildren(el("h2", {}, t("map.title")), svg); return; }
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) { minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
  const kx = Math.cos((minY + maxY) / 2 * Math.PI / 180);  // equirectangular: a degree of longitude is shorter
  const spanX = Math.max((maxX - minX) * kx, 1e-4), spanY = Math.max(maxY - minY, 1e-4);
  const scale = Math.min(940 / spanX, 640 / spanY);
  const project = ([x, y]) => [30 + (x - minX) * kx * scale, 30 + (maxY - y) * scale];
  const ns = (tag, attributes, text) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const order = {county: 0, town: 1, village: 2, grid: 3};
  const features = [...(cells.features || [])].sort((a, b) => order[a.properties.level] - order[b.properties.level]);
  for (const feature of features) {
    const path = rings(feature).map(ring => "M" + ring.map(p => project(p).map(v => v.toFixed(1)).join(",")).join("L") + "Z").join("");
    svg.append(ns("path", {d: path, class: "cell cell-" + feature.properties.level, "data-cell": feature.properties.id}));
    const first = rings(feature)[0];
    if (first) {
      const [x, y] = project(first[3] || first[0]);
      svg.append(ns("text", {x: x + 4, y: y + 14, class: "cell-label"}, feature.properties.name || feature.properties.id));
    }
  }
  for (const g of state.gateways.values()) {
    if (g.lat === null || g.lon === null) continue;
    const [x, y] = project([g.lon, g.lat]);
    const dot = ns("circle", {cx: x, cy: y, r: 7, class: "gateway gateway-" + g.presence, "data-gateway": g.gateway_id});
    dot.append(ns("title", {}, g.gateway_id + " · " + t("presence." + g.presence)));
    svg.append(dot);
  }
  for (const i of state.incidents.values()) {
    const [x, y] = project([i.lon, i.lat]);
    const mark = ns("path", {d: `M${x},${y - 12}L${x + 10},${y + 6}L${x - 10},${y + 6}Z`,
                             class: "incident-mark light-" + runningClock(i, Date.now()).light, "data-id": i.id});
    mark.append(ns("title", {}, "#" + i.id + " " + t("kind." + i.kind) + " · " + t("state." + i.state)));
    mark.addEventListener("click", () => { location.hash = "#/incident/" + i.id; });
    svg.append(mark);
  }
  view().replaceChildren(el("h2", {}, t("map.title")), el("p", {class: "legend"}, t("map.legend")), svg);
}

async function renderStats() {
  const offset = -new Date().getTimezoneOffset();
  const data = await api("GET", "/api/v1/stats?tz_offset_min=" + offset);
  const percent = clock => clock.percent === null ? "—"
    : t("stats.percent", {percent: clock.percent.toFixed(1) + "%", met: clock.met, decided: clock.met + clock.missed});
  const table = (id, entries, label) => el("table", {id, class: "list"},
    el("tbody", {}, entries.map(([name, count]) => el("tr", {}, el("td", {}, label(name)), el("td", {}, count),
      el("td", {}, el("span", {class: "bar", style: {width: Math.round(100 * count / Math.max(1, data.total)) + "%"}}))))));
  view().replaceChildren(
    el("h2", {}, t("stats.title")),
    el("p", {}, t("stats.total", {total: data.total})),
    el("h3", {}, t("stats.sla")),
    el("table", {id: "stats-sla", class: "list"}, el("tbody", {},
      ["dispatch", "on_scene", "feedback"].map(name => el("tr", {"data-clock": name},
        el("td", {}, t("clock." + name) + " ≤ " + duration(data.sla[name].limit_s * 1000)),
        el("td", {}, percent(data.sla[name])))))),
    el("h3", {}, t("stats.resolved")),
    el("table", {id: "stats-resolved", class: "list"}, el("tbody", {},
      Object.entries(data.resolved_at_level).map(([level, share]) => el("tr", {},
        el("td", {}, t("level." + level)), el("td", {}, share.count),
        el("td", {}, share.percent === null ? "—" : share.percent.toFixed(1) + "%"))))),
    el("h3", {}, t("stats.by_kind")), table("stats-kind", Object.entries(data.by_kind), k => t("kind." + k)),
    el("h3", {}, t("stats.by_cell")), table("stats-cell", Object.entries(data.by_cell), c => c || t("unrouted")),
    el("h3", {}, t("stats.by_day")), table("stats-day", Object.entries(data.by_day), d => d));
}

// --- live feed -------------------------------------------------------------

function cue(incident) {
  state.cues += 1;
  document.body.dataset.cues = String(state.cues);
  const banner = document.getElementById("alarm");
  banner.textContent = t("alarm.new", {kind: t("kind." + incident.kind), id: incident.id, summary: incident.summary});
  banner.dataset.id = incident.id;
  banner.hidden = false;
  banner.classList.remove("flash");
  void banner.offsetWidth;  // restart the animation
  banner.classList.add("flash");
  clearTimeout(cue.timer);
  cue.timer = setTimeout(() => { banner.hidden = true; }, 30000);
  banner.onclick = () => { location.hash = "#/incident/" + incident.id; banner.hidden = true; };
  try {
    // Two short tones: an alarm the room hears without looking at the screen.
    state.audio = state.audio || new AudioContext();
    const audio = state.audio;
    for (const [start, frequency] of [[0, 880], [0.35, 660], [0.7, 880]]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + 0.3);
    }
    document.body.dataset.audible = String(state.cues);
  } catch (ignored) { /* no audio device: the banner still shows */ }
}

function onIncident(incident, live) {
  const isNew = !state.seen.has(incident.id);
  state.seen.add(incident.id);
  if (OPEN_STATES.includes(incident.state)) state.incidents.set(incident.id, incident);
  else state.incidents.delete(incident.id);
  if (live && isNew && ALARM_KINDS.has(incident.kind)) cue(incident);
  if (currentRoute.startsWith("#/board") || currentRoute === "") drawBoard();
  if (currentRoute.startsWith("#/map")) drawMap();
  const open = currentRoute.match(/^#\/incident\/(\d+)$/);
  if (open && Number(open[1]) === incident.id && live) {
    const title = document.getElementById("incident-title");
    if (title && title.dataset.state !== incident.state) renderIncident(incident.id).catch(() => {});
  }
}

function connectLive() {
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/live");
  state.socket = socket;
  const live = document.getElementById("live");
  socket.onopen = () => { live.className = "live-on"; live.dataset.i18n = "live.on"; live.textContent = t("live.on"); };
  socket.onclose = () => {
    live.className = "live-off"; live.dataset.i18n = "live.off"; live.textContent = t("live.off");
    if (state.session && state.socket === socket) setTimeout(connectLive, 2000);
  };
  socket.onmessage = event => {
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") for (const incident of message.incidents) onIncident(incident, false);
    if (message.type === "incident") onIncident(message.incident, true);
    if (message.type === "gateway") {
      state.gateways.set(message.gateway.gateway_id, message.gateway);
      drawFleet();
      drawMap();
    }
  };
}

// --- sign-in ---------------------------------------------------------------

function showSignIn() {
  state.session = null;
  document.getElementById("nav").hidden = true;
  document.getElementById("signout").hidden = true;
  document.getElementById("who").textContent = "";
  const form = document.getElementById("signin");
  form.hidden = false;
  view().replaceChildren(form);
}

async function start(session) {
  state.session = session;
  document.getElementById("signin").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("signout").hidden = session.auth === "off";
  applyStaticText();
  try {
    // The SLA limits come from central's config: the countdowns must agree with the escalation.
    const limits = await api("GET", "/api/v1/stats?since=" + (Date.now() - 1000));
    sla = {dispatch_s: limits.sla.dispatch.limit_s, on_scene_s: limits.sla.on_scene.limit_s,
           feedback_s: limits.sla.feedback.limit_s};
  } catch (ignored) { /* keep the 30 s / 3 min / 3 min defaults */ }
  connectLive();
  route();
}

async function main() {
  applyStaticText();
  document.getElementById("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("gw.lang", state.lang);
    applyStaticText();
    if (state.session) route();
  });
  const form = document.getElementById("signin");
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const error = document.getElementById("signin-error");
    error.textContent = "";
    try {
      const session = await api("POST", "/api/v1/session", {user: form.user.value, password: form.password.value});
      form.password.value = "";
      await start(session);
    } catch (failure) {
      error.textContent = t("signin.failed", {error: failure.message});
    }
  });
  document.getElementById("signout").addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/session"); } catch (ignored) { /* signed out anyway */ }
    const socket = state.socket;
    state.session = null;
    if (socket) socket.close();
    showSignIn();
  });
  window.addEventListener("hashchange", route);
  setInterval(() => { if (currentRoute.startsWith("#/board")) drawBoard(); }, 1000);  // countdowns
  try {
    await start(await api("GET", "/api/v1/session"));
  } catch (failure) {
    showSignIn();
  }
}

document.addEventListener("DOMContentLoaded", main);
