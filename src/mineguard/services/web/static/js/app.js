// The dashboard's entry: log in, then the views fed by one live stream; log out.

import { ApiError, api, logIn, logOut, session } from "./api.js";
import { AlertsView } from "./alerts.js";
import { AuditView } from "./audit.js";
import { CamerasView } from "./cameras.js";
import { MapView } from "./map.js";
import { PeopleView } from "./people.js";
import { SensorsView } from "./sensors.js";
import { RulesView } from "./rules.js";
import { LiveStream } from "./stream.js";

const $ = (id) => document.getElementById(id);
const ROLE_NAMES = { operator: "Operator", supervisor: "Supervisor", manager: "Manager", super_manager: "Super-manager" };

let running = null; // {stream, views}

function showView(name) {
  for (const button of document.querySelectorAll("#nav button")) {
    button.setAttribute("aria-current", button.dataset.view === name ? "page" : "false");
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  running?.views.people.show(name === "people");
  running?.views.cameras.show(name === "cameras");
  running?.views.sensors.show(name === "sensors");
  running?.views.audit.show(name === "audit");
  running?.views.rules.show(name === "rules");
}

function showLogin(message = "") {
  running?.stream.close();
  running?.views.alerts.stop();
  running?.views.people.stop();
  running?.views.cameras.stop();
  running?.views.sensors.stop();
  running?.views.audit.stop();
  running?.views.rules.stop();
  running = null;
  $("login").hidden = false;
  $("nav").hidden = true;
  $("who").hidden = true;
  for (const view of document.querySelectorAll(".view")) view.hidden = true;
  $("login-error").textContent = message;
  $("username").focus();
}

async function start(me) {
  $("login").hidden = true;
  $("nav").hidden = false;
  $("who").hidden = false;
  $("user").textContent = `${me.username} · ${ROLE_NAMES[me.role] ?? me.role}`;
  document.body.dataset.role = me.role;
  const map = new MapView(me);
  const views = { alerts: new AlertsView(me, (alerts) => map.setAlerts(alerts)), map, people: new PeopleView(me, report), cameras: new CamerasView(me, report) };
  views.sensors = new SensorsView(me, report);
  views.audit = new AuditView(me, report);
  views.rules = new RulesView(me, report);
  const resync = () => {
    views.people.resync();
    views.cameras.resync();
    views.sensors.resync();
    views.rules.resync();
    return Promise.all([views.alerts.load(), views.map.load()]).catch(report);
  };
  const stream = new LiveStream(session.token, {
    onEvent: (event) => {
      views.people.onEvent(event);
      views.cameras.onEvent(event);
      views.sensors.onEvent(event);
      views.rules.onEvent(event);
      return Promise.all([views.alerts.onEvent(event), views.map.onEvent(event)]).catch(report);
    },
    onStatus: (text) => {
      $("live").textContent = text;
      $("live").dataset.state = text === "live" ? "live" : "offline";
    },
    onResync: resync,
    onExpired: (reason) => {
      session.token = null;
      showLogin(reason);
    },
  });
  running = { stream, views };
  showView("alerts");
  await resync();
}

function report(error) {
  if (error instanceof ApiError && error.status === 401) {
    session.token = null;
    showLogin(error.message);
  } else {
    $("live").textContent = `error: ${error.message}`;
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    await logIn($("username").value, $("password").value);
    $("password").value = "";
    await start(await api.get("/auth/me"));
  } catch (error) {
    $("login-error").textContent = error.message; // the API's own message
  }
});

$("logout").addEventListener("click", async () => {
  running?.stream.close();
  try {
    await logOut();
  } finally {
    showLogin();
  }
});

for (const button of document.querySelectorAll("#nav button")) {
  button.addEventListener("click", () => showView(button.dataset.view));
}

if (session.token) {
  api.get("/auth/me").then(start, () => {
    session.token = null;
    showLogin("your session ended — log in again");
  });
} else {
  showLogin();
}
