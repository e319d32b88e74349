// The Audit page end to end, in headless Chromium against `switchboard serve`: a team and a key
// made in the panel's forms, the team's budget changed, the key deleted; then the four entries
// newest first, the filters, the empty state, and the team's before/after diff with the changed
// field highlighted. Screenshots: target/e2e-screenshots/40-audit-*.png.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, api, screenshotDir, startStack } from "./harness.mjs";

let stack;
let context;
let page;
let clearKey;

/** A screenshot of the whole page: the panel scrolls inside `.main`, so the viewport grows to it. */
async function shot(name) {
  const height = await page.evaluate(() => Math.max(900, document.querySelector(".main")?.scrollHeight ?? 0));
  await page.setViewportSize({ width: 1440, height: Math.min(height, 4000) });
  await page.screenshot({ path: path.join(screenshotDir, `40-audit-${name}.png`), style: ".toasts { display: none; }" });
  await page.setViewportSize({ width: 1440, height: 900 });
}

async function open(route) {
  await page.getByTestId(`nav-${route}`).click();
  await page.getByTestId(`page-${route}`).waitFor();
  await page.locator(".spinner").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => {});
}

async function confirm() {
  await page.getByTestId("confirm-dialog").waitFor();
  await page.getByTestId("confirm-button").click();
  await page.getByTestId("confirm-dialog").waitFor({ state: "detached" });
}

const rows = () => page.getByTestId("audit-row");

/** The rows' (action, table) pairs, top to bottom, once `count` are shown. */
async function shownRows(count) {
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=audit-row]").length === n, count);
  return rows().evaluateAll((all) => all.map((r) => `${r.dataset.action} ${r.dataset.table}`));
}

before(async () => {
  stack = await startStack();
  context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
  await page.goto(stack.panelUrl);
  await page.getByTestId("signin-url").fill(stack.gatewayUrl);
  await page.getByTestId("signin-key").fill(MASTER_KEY);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("page-overview").waitFor();
});

after(async () => {
  await context?.close().catch(() => {});
  if (stack) {
    if (process.env.E2E_SHOW_GATEWAY_LOG) console.log(stack.logs.gateway);
    await stack.stop();
  }
});

test("before any change: the empty state", async () => {
  await open("audit");
  await page.getByTestId("empty-state").getByText("No changes yet").waitFor();
  assert.equal(await page.getByTestId("audit-count").innerText(), "0 changes");
});

test("a team and a key made, the team changed, the key deleted, in the panel's forms", async () => {
  await open("teams");
  await page.getByTestId("add-team").click();
  await page.getByTestId("team-alias").fill("audited-team");
  await page.getByTestId("team-max-budget").fill("25");
  await page.getByTestId("team-save").click();
  await page.getByTestId("team-dialog").waitFor({ state: "detached" });
  const team = page.locator('[data-testid=team-row][data-alias="audited-team"]');
  await team.waitFor();

  await open("keys");
  await page.getByTestId("generate-key").click();
  await page.getByTestId("key-alias").fill("audited-key");
  await page.getByTestId("key-team").selectOption({ label: "audited-team" });
  await page.getByTestId("key-save").click();
  await page.getByTestId("key-created").waitFor();
  clearKey = await page.getByTestId("created-key-value").innerText();
  await page.getByTestId("key-created-done").click();

  await open("teams");
  await team.getByTestId("edit-team").click();
  await page.getByTestId("team-max-budget").fill("40");
  await page.getByTestId("team-save").click();
  await page.getByTestId("team-dialog").waitFor({ state: "detached" });

  await open("keys");
  const key = page.locator('[data-testid=key-row][data-alias="audited-key"]');
  await key.getByTestId("delete-key").click();
  await confirm();
  await key.waitFor({ state: "detached" });
});

test("the four entries newest first, filters, and the team's diff", async () => {
  await open("audit");
  assert.deepEqual(await shownRows(4), [
    "deleted LiteLLM_VerificationToken",
    "updated LiteLLM_TeamTable",
    "created LiteLLM_VerificationToken",
    "created LiteLLM_TeamTable",
  ]);
  assert.equal(await page.getByTestId("audit-count").innerText(), "4 changes");
  assert.match(await rows().nth(1).innerText(), /audited-team[\s\S]*master key[\s\S]*max_budget/);
  assert.match(await rows().nth(0).innerText(), /audited-key/);
  assert.equal(await page.getByTestId("audit-page").innerText(), "Page 1 of 1");

  // The update opens onto its diff: the budget is the changed field, before and after.
  await rows().nth(1).click();
  const diff = page.getByTestId("audit-diff");
  await diff.waitFor();
  const budget = diff.locator('[data-testid=audit-diff-field][data-field="max_budget"]');
  assert.equal(await budget.getAttribute("data-kind"), "changed");
  assert.deepEqual(await budget.locator("td").allInnerTexts(), ["max_budget", "25", "40"]);
  // Highlighted while the pointer is over the row too (the list's hover colours rows).
  await budget.hover();
  const colours = await budget.evaluate((tr) => [".diff-before", ".diff-after"].map((c) => getComputedStyle(tr.querySelector(c)).backgroundColor));
  assert.deepEqual(colours, ["rgb(253, 228, 225)", "rgb(217, 245, 228)"], "the old and new values are highlighted");
  const same = await diff.locator('[data-testid=audit-diff-field][data-kind="same"]').count();
  assert.equal(same, 0, "only changed fields at first");
  // Only changed fields by default; the rest on demand, unchanged ones not highlighted.
  const changedOnly = await diff.getByTestId("audit-diff-field").count();
  await diff.getByTestId("audit-diff-all").click();
  assert.ok((await diff.getByTestId("audit-diff-field").count()) > changedOnly);
  assert.equal(await diff.locator('[data-field="team_alias"]').getAttribute("data-kind"), "same");
  await diff.getByTestId("audit-diff-all").click();
  await shot("01-list-and-diff");

  // The deleted key: every field it had, removed; its clear value nowhere.
  await rows().nth(0).click();
  const keyDiff = page.getByTestId("audit-diff").nth(0);
  assert.equal(await keyDiff.locator('[data-field="key_alias"]').getAttribute("data-kind"), "removed");
  assert.ok(!(await page.content()).includes(clearKey), "the clear key is not in the page");
  await rows().nth(0).click();

  // Filters ask the gateway: object type, action, who, object id.
  await page.getByTestId("audit-filter-type").selectOption({ label: "Team" });
  assert.deepEqual(await shownRows(2), ["updated LiteLLM_TeamTable", "created LiteLLM_TeamTable"]);
  await page.getByTestId("audit-filter-action").selectOption("created");
  assert.deepEqual(await shownRows(1), ["created LiteLLM_TeamTable"]);
  const teamId = await rows().first().getAttribute("data-object");
  await page.getByTestId("audit-filter-type").selectOption("");
  await page.getByTestId("audit-filter-action").selectOption("");
  await page.getByTestId("audit-filter-object").fill(teamId);
  assert.deepEqual(await shownRows(2), ["updated LiteLLM_TeamTable", "created LiteLLM_TeamTable"]);
  await page.getByTestId("audit-filter-object").fill("");
  await page.getByTestId("audit-filter-who").fill("somebody-else");
  await page.getByTestId("empty-state").getByText("No change matches these filters").waitFor();
  await shot("02-no-match");
  await page.getByTestId("empty-state").getByRole("button", { name: "Clear filters" }).click();
  await shownRows(4);
});

test("pages of 25, newest first, and the gateway's refusal shown as an error", async () => {
  for (let i = 0; i < 24; i++) {
    const r = await api(stack.gatewayUrl, "POST", "/team/new", { team_alias: `bulk-${String(i).padStart(2, "0")}` });
    assert.equal(r.status, 200);
  }
  await open("overview");
  await open("audit");
  await shownRows(25);
  assert.equal(await page.getByTestId("audit-page").innerText(), "Page 1 of 2");
  assert.match(await rows().first().innerText(), /bulk-23/);
  await page.getByTestId("audit-next").click();
  assert.deepEqual(await shownRows(3), ["updated LiteLLM_TeamTable", "created LiteLLM_VerificationToken", "created LiteLLM_TeamTable"]);
  assert.equal(await page.getByTestId("audit-page").innerText(), "Page 2 of 2");
  assert.match(await rows().last().innerText(), /audited-team/, "the oldest change is last");
  await page.getByTestId("audit-prev").click();
  await shownRows(25);

  // Long values wrap inside their cell instead of widening the page.
  const long = `${"a-long-note-without-spaces-".repeat(12)}end`;
  const bulk = await api(stack.gatewayUrl, "GET", "/team/list");
  const bulk23 = bulk.json.find((t) => t.team_alias === "bulk-23").team_id;
  assert.equal((await api(stack.gatewayUrl, "POST", "/team/update", { team_id: bulk23, metadata: { note: long } })).status, 200);
  await open("overview");
  await open("audit");
  await shownRows(25);
  await rows().first().click();
  const note = page.locator('[data-testid=audit-diff-field][data-field="metadata.note"]');
  assert.equal(await note.getAttribute("data-kind"), "added");
  const fits = await note.locator(".diff-after").evaluate((td) => td.scrollWidth <= td.clientWidth && td.offsetHeight > 40);
  assert.ok(fits, "the long value wraps in its cell");
  assert.ok(await page.evaluate(() => document.querySelector(".main").scrollWidth <= document.querySelector(".main").clientWidth), "no sideways scroll");
  await shot("03-long-value");

  // A key that may not read the log: the page says so instead of showing nothing.
  const plain = await api(stack.gatewayUrl, "POST", "/key/generate", { key_alias: "not-an-admin" });
  await page.evaluate(([url, key]) => sessionStorage.setItem("switchboard.session", JSON.stringify({ url, masterKey: key })), [stack.gatewayUrl, plain.json.key]);
  await page.reload();
  await page.getByTestId("nav-audit").click();
  await page.getByTestId("audit-error").waitFor();
  assert.match(await page.getByTestId("audit-error").innerText(), /403|proxy_admin_viewer|master key/i);
  await shot("04-refused");
});
