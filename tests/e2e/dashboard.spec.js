// The dashboard in a real browser: playwright-core driving Debian's
// chromium headless against a running gridwatch-central. Started by
// dashboard_e2e_test.cpp, which runs broker, central, gateway and sensor
// simulator on free ports and passes where they are:
//
//   node dashboard.spec.js --url URL --operator NAME --supervisor NAME --password PW --gateway ID \
//                          --artifacts DIR [--chromium /usr/bin/chromium]
//
// Prints one JSON line of measurements; exits non-zero on the first failed check.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

function options() {
  const args = process.argv.slice(2);
  const out = { chromium: "/usr/bin/chromium" };
  for (let i = 0; i < args.length; i += 2) out[args[i].replace(/^--/, "")] = args[i + 1];
  for (const required of ["url", "operator", "supervisor", "password", "gateway", "artifacts"]) {
    if (!out[required]) throw new Error("missing --" + required);
  }
  return out;
}

function check(condition, message) {
  if (!condition) throw new Error("CHECK FAILED: " + message);
  console.log("ok - " + message);
}

async function signIn(page, url, user, password) {
  await page.goto(url);
  await page.fill("#signin-user", user);
  await page.fill("#signin-password", password);
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("#live.live-on", { timeout: 20000 });
}

/// In-page fetch with the page's session, so the request carries its cookie.
async function post(page, pathname, body, withCsrf) {
  return page.evaluate(async ({ pathname, body, withCsrf }) => {
    const session = await (await fetch("/api/v1/session")).json();
    const headers = { "Content-Type": "application/json" };
    if (withCsrf) headers["X-CSRF-Token"] = session.csrf_token;
    const response = await fetch(pathname, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  }, { pathname, body, withCsrf });
}

async function main() {
  const o = options();
  fs.mkdirSync(o.artifacts, { recursive: true });
  const shot = (page, name) => page.screenshot({ path: path.join(o.artifacts, name + ".png"), fullPage: true });
  const measurements = {};
  const pageErrors = [];
  const browser = await chromium.launch({
    executablePath: o.chromium, headless: true,
    args: ["--autoplay-policy=no-user-gesture-required", "--no-sandbox"],
  });
  try {
    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    page.on("pageerror", error => pageErrors.push(String(error)));

    // Sign-in is required: the page shows the form first.
    await page.goto(o.url);
    await page.waitForSelector("#signin:not([hidden])");
    check((await page.title()) === "GridWatch 指挥中心", "the dashboard is Chinese by default");
    await shot(page, "01-sign-in");
    await signIn(page, o.url, o.operator, o.password);
    check((await page.textContent("#who")).includes("值班员"), "signed in as an operator");

    // Record when the first incident row appears, in the page's own clock.
    await page.evaluate(() => {
      window.__firstRowAt = null;
      new MutationObserver(() => {
        if (window.__firstRowAt === null && document.querySelector("tr.incident")) window.__firstRowAt = Date.now();
      }).observe(document.body, { childList: true, subtree: true });
    });
    await shot(page, "02-board-empty");
    console.log("READY");  // the harness now starts the smoke at the sensor
    const started = Date.now();
    await page.waitForSelector("tr.incident", { timeout: 120000 });
    const appearedAt = await page.evaluate(() => window.__firstRowAt);
    const id = Number(await page.getAttribute("tr.incident", "data-id"));
    const detail = await page.evaluate(async id => (await fetch("/api/v1/incidents/" + id)).json(), id);
    const incident = detail.incident;
    measurements.waited_for_alert_ms = Date.now() - started;
    measurements.alert_to_board_ms = appearedAt - incident.detected_at_ms;
    check(incident.kind === "smoke" || incident.kind === "fire", "the sensor's smoke became a " + incident.kind + " incident");
    check(measurements.alert_to_board_ms <= 2000,
          `the incident reached the board ${measurements.alert_to_board_ms} ms after the gateway detected it (<= 2000)`);
    check(await page.isVisible("#alarm"), "a visual cue (the red banner) announces the new fire incident");
    check((await page.getAttribute("body", "data-audible")) !== null, "an audible cue was played");
    check((await page.getAttribute("tr.incident", "data-state")) === "new", "the incident waits for dispatch");
    await shot(page, "03-board-new-incident");

    // An operator takes it through to closed.
    await page.click(`tr.incident[data-id="${id}"]`);
    await page.waitForSelector("#incident-title");
    check(await page.isHidden('button[data-action="false_alarm"]'), "an operator is not offered the false-alarm action");
    await shot(page, "04-detail-new");
    const unit = await page.inputValue("#action-unit");
    if (!unit) await page.fill("#action-unit", "e2e-fire-unit");
    const steps = [["dispatch", "dispatched"], ["acknowledge", "acknowledged"], ["arrive", "on_scene"],
                   ["feedback", "feedback"], ["resolve", "resolved"], ["close", "closed"]];
    for (const [action, next] of steps) {
      if (action === "feedback") await page.fill("#action-note", "火已扑灭，现场无人员伤亡");
      if (action === "close") await page.selectOption("#action-rating", "5");
      await page.click(`button[data-action="${action}"]`);
      await page.waitForSelector(`#incident-title[data-state="${next}"]`, { timeout: 10000 });
      console.log(`ok - ${action} -> ${next}`);
      if (next === "on_scene") {
        // A wrong role is refused by the server, not just hidden by the page.
        const refused = await post(page, `/api/v1/incidents/${id}/transitions`,
                                   { action: "false_alarm", note: "operator tries" }, true);
        measurements.wrong_role_status = refused.status;
        check(refused.status === 403 && /supervisor/.test(refused.body.error),
              "an operator's false_alarm is refused with 403: " + refused.body.error);
        const forged = await post(page, `/api/v1/incidents/${id}/transitions`, { action: "feedback", note: "x" }, false);
        check(forged.status === 403 && /CSRF/.test(forged.body.error), "a write without the CSRF token is refused");
        await shot(page, "05-detail-on-scene");
      }
    }
    const closed = await page.evaluate(async id => (await fetch("/api/v1/incidents/" + id)).json(), id);
    check(closed.incident.dispatch.satisfaction === 5, "closed with rating 5");
    const actors = closed.timeline.filter(e => e.from_state !== e.to_state).map(e => e.actor);
    check(actors.length >= 6 && actors.slice(-6).every(a => a === o.operator), "the audit trail names the operator");
    await shot(page, "06-detail-closed");

    // A supervisor may mark a false alarm; an operator may not: checked above.
    const supervisorContext = await browser.newContext({ locale: "zh-CN" });
    const supervisor = await supervisorContext.newPage();
    await signIn(supervisor, o.url, o.supervisor, o.password);
    check((await supervisor.textContent("#who")).includes("值班长"), "a supervisor signs in too");
    await supervisorContext.close();

    // Fleet, map and stats pages.
    await page.goto(o.url + "#/fleet");
    await page.waitForSelector(`tr[data-gateway="${o.gateway}"].presence-online`, { timeout: 10000 });
    check(true, "the fleet page lists the gateway online");
    await shot(page, "07-fleet");
    await page.goto(o.url + "#/map");
    await page.waitForSelector(`circle.gateway-online[data-gateway="${o.gateway}"]`, { timeout: 10000 });
    check((await page.locator("path.cell").count()) > 0, "the map draws the grid cells");
    await shot(page, "08-map");
    await page.goto(o.url + "#/stats");
    await page.waitForSelector('#stats-sla tr[data-clock="dispatch"]');
    check((await page.textContent('#stats-sla tr[data-clock="dispatch"]')).includes("%"),
          "the stats page shows dispatch SLA compliance");
    await shot(page, "09-stats-zh");
    await page.click("#lang");
    check((await page.title()) === "GridWatch Command Centre", "English on request");
    await page.waitForSelector("text=SLA compliance");
    await shot(page, "10-stats-en");
    check(pageErrors.length === 0, "no script errors in the page: " + pageErrors.join("; "));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(measurements));
}

main().catch(error => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
