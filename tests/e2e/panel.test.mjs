// The panel end to end, in headless Chromium against `switchboard serve` and the fake Bedrock:
// the seed article's story (team, key, playground, model switch) plus the pages around it.
// Screenshots of every page go to target/e2e-screenshots/.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, api, screenshotDir, startStack } from "./harness.mjs";

const LONG_ALIAS = "bedrock-throttled-model-with-a-deliberately-long-alias-for-layout-checks";
let stack;
let context;
let page;

async function shot(name) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

/** Waits for the page to show `testid` and settle (no spinner). */
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

before(async () => {
  stack = await startStack();
  context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(stack.panelUrl).origin });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => console.log(`# page error: ${e.message}`));
});

after(async () => {
  await context?.close().catch(() => {});
  if (stack) {
    if (process.env.E2E_SHOW_GATEWAY_LOG) console.log(stack.logs.gateway);
    await stack.stop();
  }
});

test("sign in: a wrong key is refused, the master key lets in", async () => {
  await page.goto(stack.panelUrl);
  await page.getByTestId("signin-form").waitFor();
  const url = page.getByTestId("signin-url");
  // Served by the gateway at /ui/: the form starts with the gateway's own URL.
  if (stack.panelUrl.startsWith(stack.gatewayUrl)) assert.equal(await url.inputValue(), stack.gatewayUrl);
  await url.fill(stack.gatewayUrl);
  await shot("01-sign-in");
  await page.getByTestId("signin-key").fill("sk-wrong-key");
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("error").waitFor();
  assert.match(await page.getByTestId("error").innerText(), /refused/i);
  await shot("01b-sign-in-refused");
  await page.getByTestId("signin-key").fill(MASTER_KEY);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("page-overview").waitFor();
  // Kept for this tab only.
  const stored = await page.evaluate(() => [sessionStorage.getItem("switchboard.session"), localStorage.length]);
  assert.ok(stored[0]?.includes(MASTER_KEY));
  assert.equal(stored[1], 0);
});

test("overview: health, base URL and snippets", async () => {
  await page.getByTestId("stat-health").getByText("healthy").waitFor();
  assert.equal(await page.getByTestId("base-url-value").innerText(), `${stack.gatewayUrl}/v1`);
  await page.getByTestId("snippet-tab-litellm").click();
  assert.match(await page.getByTestId("snippet").innerText(), /litellm_proxy\/claude-haiku/);
  await page.getByTestId("snippet-tab-python").click();
  await page.getByTestId("base-url-copy").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${stack.gatewayUrl}/v1`);
  await page.getByTestId("gateway-status").getByText("Gateway up").waitFor();
  await shot("02-overview");
  // Where Prometheus scrapes this gateway (open: it listens on loopback) and whether traces go out.
  const monitoring = page.getByTestId("monitoring-card");
  await monitoring.scrollIntoViewIfNeeded();
  assert.equal(await page.getByTestId("metrics-url-value").innerText(), `${stack.gatewayUrl}/metrics`);
  assert.match(await page.getByTestId("metrics-access").innerText(), /Open to anyone on this machine/);
  assert.match(await page.getByTestId("traces-status").innerText(), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  const port = new URL(stack.gatewayUrl).port;
  assert.match(await page.getByTestId("scrape-config").innerText(), new RegExp(`targets: \\['127\\.0\\.0\\.1:${port}'\\]`));
  const scraped = await fetch(`${stack.gatewayUrl}/metrics`);
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /# TYPE litellm_deployment_state gauge/);
  await monitoring.screenshot({ path: path.join(screenshotDir, "02d-overview-monitoring.png") });
  // Before any request: the request log and spend say what to do next.
  await open("requests");
  await page.getByTestId("empty-state").getByText("No requests yet").waitFor();
  await shot("02b-requests-empty");
  await open("spend");
  await page.getByTestId("empty-state").getByText("Nothing spent yet").waitFor();
  await shot("02c-spend-empty");
  await open("overview");
});

test("models: config models are read-only; add, test and delete database models", async () => {
  await open("models");
  await page.locator('[data-testid=model-group][data-alias="claude-haiku"]').waitFor();
  const haiku = page.locator('[data-testid=model-group][data-alias="claude-haiku"]');
  assert.match(await haiku.innerText(), /config\.yaml/);
  assert.equal(await haiku.getByTestId("delete-model").count(), 0);

  // The form checks before sending.
  await page.getByTestId("add-model").click();
  await page.getByTestId("model-save").click();
  await page.getByTestId("model-dialog").getByText("Alias is required").waitFor();
  await page.getByTestId("model-alias").fill("litellm_proxy/gpt");
  await page.getByTestId("model-region").fill("mars-1");
  await page.getByTestId("model-save").click();
  await page.getByTestId("model-dialog").getByText(/not an AWS region/).waitFor();
  await shot("03b-model-form-invalid");

  // An OpenAI-compatible model on the fake OpenAI.
  await page.getByTestId("model-alias").fill("gpt-4o-mini");
  await page.getByTestId("model-provider").selectOption("openai");
  await page.getByTestId("model-id").fill("gpt-4o-mini");
  await page.getByTestId("model-api-base").fill(stack.upstreams.openai);
  await page.getByTestId("model-api-key").fill("sk-upstream-test");
  await page.getByTestId("model-save").click();
  await page.getByTestId("model-dialog").waitFor({ state: "detached" });
  const gpt = page.locator('[data-testid=model-group][data-alias="gpt-4o-mini"]');
  await gpt.waitFor();
  assert.match(await gpt.innerText(), /database/);
  await gpt.getByTestId("test-model").click();
  await gpt.getByTestId("test-answer").waitFor();
  assert.match(await gpt.getByTestId("test-answer").innerText(), /Hello from fake-openai! You said: Say hello/);

  // A Bedrock model with a long alias that the fake throttles: the test shows the upstream error.
  await page.getByTestId("add-model").click();
  await page.getByTestId("model-alias").fill(LONG_ALIAS);
  await page.getByTestId("model-id").fill("fake-throttle");
  await page.getByTestId("model-region").fill("us-east-1");
  await page.getByTestId("model-endpoint").fill(stack.upstreams.bedrock);
  await shot("03c-model-form-bedrock");
  await page.getByTestId("model-save").click();
  const long = page.locator(`[data-testid=model-group][data-alias="${LONG_ALIAS}"]`);
  await long.waitFor();
  await long.getByTestId("test-model").click();
  await long.getByTestId("test-error").waitFor();
  assert.match(await long.getByTestId("test-error").innerText(), /throttling/i);
  await shot("03-models");

  // Edit keeps the form's values; delete asks first.
  await long.getByTestId("edit-model").click();
  assert.equal(await page.getByTestId("model-id").inputValue(), "fake-throttle");
  await page.keyboard.press("Escape");
  await page.getByTestId("model-dialog").waitFor({ state: "detached" });
});

test("teams: empty state, then the seed's team with its two models", async () => {
  await open("teams");
  await page.getByTestId("empty-state").waitFor();
  await shot("04a-teams-empty");
  await page.getByTestId("add-team").click();
  await page.getByTestId("team-alias").fill("agentcore harness");
  await page.getByTestId("team-max-budget").fill("-5");
  await page.getByTestId("team-budget-duration").fill("1 month");
  await page.getByTestId("team-save").click();
  await page.getByTestId("team-dialog").getByText(/letters, digits/).waitFor();
  await page.getByTestId("team-dialog").getByText(/not a duration/).waitFor();
  await shot("04b-team-form-invalid");
  await page.getByTestId("team-alias").fill("agentcore-harness");
  await page.getByTestId("team-max-budget").fill("25");
  await page.getByTestId("team-budget-duration").fill("1mo");
  await page.locator('[data-testid=team-models-option][data-value="claude-sonnet"]').click();
  await page.locator('[data-testid=team-models-option][data-value="claude-haiku"]').click();
  await page.getByTestId("team-save").click();
  await page.getByTestId("team-dialog").waitFor({ state: "detached" });
  const row = page.locator('[data-testid=team-row][data-alias="agentcore-harness"]');
  await row.waitFor();
  assert.match(await row.innerText(), /claude-sonnet/);
  assert.match(await row.innerText(), /claude-haiku/);
  // Members.
  await row.getByTestId("team-members").click();
  await page.getByTestId("member-user").fill("kamino@example.com");
  await page.getByTestId("member-add").click();
  await page.getByTestId("member-row").waitFor();
  await page.keyboard.press("Escape");
  await page.getByTestId("members-dialog").waitFor({ state: "detached" });
  await shot("04-teams");
});

let clearKey;

test("keys: generate the seed's key, see it once, copy it", async () => {
  await open("keys");
  await page.getByTestId("empty-state").waitFor();
  await shot("05a-keys-empty");
  // A refusal the form could not foresee (the name was taken meanwhile): the gateway's message.
  await page.getByTestId("generate-key").click();
  const taken = await api(stack.gatewayUrl, "POST", "/key/generate", { key_alias: "taken-meanwhile" });
  assert.equal(taken.status, 200);
  await page.getByTestId("key-alias").fill("taken-meanwhile");
  await page.getByTestId("key-save").click();
  await page.getByTestId("form-error").waitFor();
  assert.match(await page.getByTestId("form-error").innerText(), /Key with alias 'taken-meanwhile' already exists/);
  await shot("05c-key-form-gateway-error");
  await api(stack.gatewayUrl, "POST", "/key/delete", { key_aliases: ["taken-meanwhile"] });
  await page.getByTestId("key-alias").fill("agentcore-harness-key");
  await page.getByTestId("key-team").selectOption({ label: "agentcore-harness" });
  await page.getByTestId("key-duration").fill("30 days");
  await page.getByTestId("key-save").click();
  await page.getByTestId("key-dialog").getByText(/not a duration/).waitFor();
  await page.getByTestId("key-duration").fill("30d");
  await page.getByTestId("key-max-budget").fill("10");
  await page.getByTestId("key-save").click();
  await page.getByTestId("key-created").waitFor();
  clearKey = await page.getByTestId("created-key-value").innerText();
  assert.match(clearKey, /^sk-\S{20,}$/);
  await page.getByTestId("created-key-copy").click();
  await page.getByTestId("created-key-copy").getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), clearKey);
  await shot("05b-key-created");
  await page.getByTestId("key-created-done").click();
  const row = page.locator('[data-testid=key-row][data-alias="agentcore-harness-key"]');
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, /agentcore-harness/);
  assert.match(text, new RegExp(`sk-\\.\\.\\.${clearKey.slice(-4)}`));
  assert.ok(!text.includes(clearKey), "the list shows the masked key only");
  await shot("05-keys");
});

test("playground: chat with the key, streamed; switch model; tool call; compare; refusal explained", async () => {
  await open("playground");
  // The key generated in this tab is offered and picked.
  assert.equal(await page.getByTestId("pg-key").locator("option:checked").innerText(), "agentcore-harness-key (this tab)");
  await page.getByTestId("pg-model-0").selectOption("claude-haiku");
  await page.getByTestId("pg-system").fill("You are terse.");
  await page.getByTestId("pg-input").fill("Hello there");
  await page.getByTestId("pg-input").press("Enter");
  const first = page.locator('[data-testid=msg-assistant][data-streaming=false]').nth(0);
  await first.waitFor();
  assert.equal(await first.getAttribute("data-model"), "claude-haiku");
  assert.match(await first.getByTestId("msg-content").innerText(), /Hello from fake-bedrock! You said: Hello there/);
  const metrics = await first.getByTestId("msg-metrics").innerText();
  assert.match(metrics, /TTFT \d/);
  assert.match(metrics, /\d+ in · \d+ out/);
  assert.match(await first.getByTestId("msg-cost").innerText(), /^\$/);

  // Switch model mid-conversation: claude-haiku → claude-sonnet.
  await page.getByTestId("pg-model-0").selectOption("claude-sonnet");
  await page.getByTestId("pg-input").fill("And now **you**?\n```python\nprint('hi')\n```");
  await page.getByTestId("pg-send").click();
  const second = page.locator('[data-testid=msg-assistant][data-streaming=false]').nth(1);
  await second.waitFor();
  assert.equal(await second.getAttribute("data-model"), "claude-sonnet");
  assert.match(await second.getByTestId("msg-content").innerText(), /You said: And now/);
  // Markdown: bold and a code block with its copy button.
  assert.equal(await second.locator(".md strong").innerText(), "you");
  assert.match(await second.locator(".code-block pre").innerText(), /print\('hi'\)/);
  await shot("06-playground");

  // Tool calls are shown, and a result can be sent back.
  await page.getByTestId("pg-tools").check();
  await page.getByTestId("pg-input").fill("What's the weather?");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("tool-send").waitFor();
  assert.match(await page.getByTestId("tool-arguments").last().innerText(), /Paris/);
  await page.getByTestId("tool-send").click();
  await page.getByTestId("msg-tool").waitFor();
  const afterTool = page.locator('[data-testid=msg-assistant][data-streaming=false]').nth(3);
  await afterTool.waitFor();
  assert.match(await afterTool.innerText(), /The tool said:/);
  await shot("06b-playground-tools");
  await page.getByTestId("pg-tools").uncheck();

  // A model the team does not allow: the 403 is explained.
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-model-0").selectOption("gpt-4o-mini");
  await page.getByTestId("pg-input").fill("Hi");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("msg-error").waitFor();
  assert.match(await page.getByTestId("msg-error").innerText(), /team doesn't allow gpt-4o-mini/);
  await shot("06c-playground-not-allowed");

  // The seed's mistake, typed as a model name: explained with the litellm_proxy/ prefix.
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-key").selectOption("master");
  await page.getByTestId("pg-model-0").selectOption("__other__");
  await page.getByTestId("pg-model-custom-0").fill("litellm_proxy/claude-haiku");
  await page.getByTestId("pg-input").fill("Hi");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("msg-error").waitFor();
  assert.match(await page.getByTestId("msg-error").innerText(), /alias itself: claude-haiku/);

  // Two models side by side on the same prompt.
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-model-0").selectOption("claude-haiku");
  await page.getByTestId("pg-key").selectOption({ label: "agentcore-harness-key (this tab)" });
  await page.getByTestId("pg-compare").check();
  await page.getByTestId("pg-model-1").selectOption("claude-sonnet");
  await page.getByTestId("pg-input").fill("Compare me");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("pane-0").locator("[data-testid=msg-assistant][data-streaming=false]").waitFor();
  await page.getByTestId("pane-1").locator("[data-testid=msg-assistant][data-streaming=false]").waitFor();
  assert.equal(await page.getByTestId("pane-1").getByTestId("msg-assistant").getAttribute("data-model"), "claude-sonnet");
  await shot("06d-playground-compare");
  await page.getByTestId("pg-compare").uncheck();
});

test("playground: the stop button cancels a slow answer", async () => {
  // A slow model (the fake waits 3 s) to have something to stop.
  const r = await api(stack.gatewayUrl, "POST", "/model/new", {
    model_name: "slow-model",
    litellm_params: { model: "openai/fake-slow", api_base: stack.upstreams.openai, api_key: "sk-upstream-test" },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  // Leaving and coming back reloads the model list (a reload would forget the tab's keys).
  await open("overview");
  await open("playground");
  await page.getByTestId("pg-key").selectOption("master");
  await page.getByTestId("pg-model-0").selectOption("slow-model");
  await page.getByTestId("pg-input").fill("Take your time");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("pg-stop").click();
  const msg = page.getByTestId("msg-assistant").last();
  await msg.getByText("stopped").waitFor();
  await page.getByTestId("pg-send").waitFor();
  await api(stack.gatewayUrl, "POST", "/model/delete", { id: r.json.model_id });
});

test("requests: the log is live and filters; spend shows the cost", async () => {
  await open("requests");
  await page.getByTestId("live-indicator").and(page.locator("[data-state=live]")).waitFor();
  const rows = page.getByTestId("request-row");
  await rows.first().waitFor();
  const before = await rows.count();
  // A request made elsewhere appears without reloading.
  const r = await api(stack.gatewayUrl, "POST", "/v1/chat/completions", { model: "claude-haiku", messages: [{ role: "user", content: "live?" }] }, clearKey);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=request-row]").length > n, before);
  const newest = rows.first();
  assert.equal(await newest.getAttribute("data-model"), "claude-haiku");
  assert.match(await newest.innerText(), /agentcore-harness-key/);
  assert.match(await newest.getByTestId("request-cost").innerText(), /^\$0\.0*[1-9]/);
  await shot("07-requests");

  await page.getByTestId("filter-model").selectOption("claude-sonnet");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=request-row]")].every((r) => r.getAttribute("data-model") === "claude-sonnet"));
  assert.ok((await rows.count()) >= 1);
  await page.getByTestId("filter-model").selectOption("");
  await page.getByTestId("filter-status").selectOption("failure");
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=request-row]")].every((r) => r.getAttribute("data-status") === "failure"));
  await shot("07b-requests-failures");
  await page.getByTestId("filter-status").selectOption("");
  // The key filter searches every key on the server, by alias.
  await page.getByTestId("filter-key-input").click();
  await page.getByTestId("filter-key-input").fill("HARNESS");
  const option = page.getByTestId("filter-key-option").filter({ hasText: "agentcore-harness-key" });
  await option.waitFor();
  await shot("07b2-requests-key-search");
  await option.click();
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=request-row]")].every((r) => r.innerText.includes("agentcore-harness-key")));
  assert.equal(await page.getByTestId("filter-key-input").inputValue(), "agentcore-harness-key");
  await page.getByTestId("filter-key-clear").click();
  assert.equal(await page.getByTestId("filter-key").getAttribute("data-value"), "");
  await rows.first().click();
  await page.getByTestId("request-detail").waitFor();
  await shot("07c-request-detail");
  await page.keyboard.press("Escape");

  await open("spend");
  await page.getByTestId("spend-chart").waitFor();
  await page.locator("[data-testid=spend-total]", { hasText: /^\$0\.0*[1-9]/ }).waitFor();
  await page.getByTestId("spend-row").first().waitFor();
  await shot("08-spend");
  await page.getByTestId("spend-group").locator("[data-value=team]").click();
  await page.getByTestId("spend-table").getByText("agentcore-harness").waitFor();
  await shot("08b-spend-by-team");

  await open("overview");
  await page.getByTestId("stat-requests").locator(".stat-value").getByText(/^[1-9]/).waitFor();
  await shot("02d-overview-with-traffic");

  await open("logs");
  await page.locator("[data-testid=logs-table], [data-testid=empty-state]").first().waitFor();
  await shot("09-logs");
});

test("keys: block the key and the playground is refused", async () => {
  await open("keys");
  const row = page.locator('[data-testid=key-row][data-alias="agentcore-harness-key"]');
  await row.getByTestId("block-key").click();
  await page.getByTestId("confirm-dialog").waitFor();
  await shot("10-confirm-block");
  await page.getByTestId("confirm-button").click();
  await page.locator('[data-testid=key-row][data-alias="agentcore-harness-key"][data-status=blocked]').waitFor();

  await open("playground");
  await page.getByTestId("pg-key").selectOption({ label: "agentcore-harness-key (this tab)" });
  await page.getByTestId("pg-model-0").selectOption("claude-haiku");
  await page.getByTestId("pg-input").fill("Am I still allowed?");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("msg-error").waitFor();
  assert.match(await page.getByTestId("msg-error").innerText(), /refused: it is blocked/);
  await shot("10b-playground-blocked");

  // Unblock, regenerate (shown once again) and delete, each confirmed.
  await open("keys");
  await row.getByTestId("unblock-key").click();
  await page.locator('[data-testid=key-row][data-alias="agentcore-harness-key"][data-status=active]').waitFor();
  await row.getByTestId("regenerate-key").click();
  await confirm();
  await page.getByTestId("key-created").waitFor();
  const regenerated = await page.getByTestId("created-key-value").innerText();
  assert.notEqual(regenerated, clearKey);
  await page.getByTestId("key-created-done").click();
  const old = await api(stack.gatewayUrl, "POST", "/v1/chat/completions", { model: "claude-haiku", messages: [{ role: "user", content: "x" }] }, clearKey);
  assert.equal(old.status, 401);
  await row.getByTestId("delete-key").click();
  await confirm();
  await page.getByTestId("empty-state").waitFor();
});

test("teams: deleting a team says it deletes its keys", async () => {
  await api(stack.gatewayUrl, "POST", "/team/new", { team_alias: "a-team-with-a-rather-long-name-to-check-the-layout-of-the-table", models: ["claude-haiku"] });
  await open("teams");
  const row = page.locator('[data-testid=team-row][data-alias="agentcore-harness"]');
  const teamId = (await api(stack.gatewayUrl, "GET", "/team/list")).json.find((t) => t.team_alias === "agentcore-harness").team_id;
  await api(stack.gatewayUrl, "POST", "/key/generate", { team_id: teamId, key_alias: "doomed-key" });
  await page.reload();
  await row.waitFor();
  await shot("04c-teams-long-name");
  await row.getByTestId("delete-team").click();
  await page.getByTestId("confirm-dialog").getByText(/all its keys/).waitFor();
  // The team's keys are read when the dialog opens.
  await page.getByTestId("confirm-dialog").getByText(/doomed-key/).waitFor();
  await shot("11-confirm-delete-team");
  await page.getByTestId("confirm-button").click();
  await row.waitFor({ state: "detached" });
  const keys = (await api(stack.gatewayUrl, "GET", "/key/list?return_full_object=true")).json.keys;
  assert.ok(!keys.some((k) => k.key_alias === "doomed-key"));
});

test("teams: a long list is paged and searched by the gateway, with each team's key count", async () => {
  const ids = {};
  for (let n = 0; n < 30; n++) {
    const alias = `paged-team-${String(n).padStart(2, "0")}`;
    const made = await api(stack.gatewayUrl, "POST", "/team/new", { team_alias: alias });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    ids[alias] = made.json.team_id;
  }
  for (let n = 0; n < 3; n++) {
    const key = await api(stack.gatewayUrl, "POST", "/key/generate", { team_id: ids["paged-team-07"], key_alias: `team-seven-${n}` });
    assert.equal(key.status, 200, JSON.stringify(key.json));
  }
  const total = (await api(stack.gatewayUrl, "GET", "/v2/team/list?page_size=1")).json.total;
  assert.ok(total >= 30);
  // From another page: the Teams page reads its first page when it opens.
  await open("overview");
  await open("teams");
  const aliases = () => page.locator("[data-testid=team-row]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alias")));
  await page.getByTestId("teams-pager").waitFor();
  assert.equal((await aliases()).length, 25, "one page of 25");
  assert.equal(await page.getByTestId("teams-pager-range").innerText(), `1–25 of ${total}`);
  await shot("04d-teams-paged");
  await page.getByTestId("teams-pager-next").click();
  await page.getByTestId("teams-pager-range").getByText(`26–${total} of ${total}`).waitFor();

  await page.getByTestId("team-search").fill("PAGED-TEAM-0");
  await page.getByTestId("teams-pager").waitFor({ state: "detached" });
  const found = (await aliases()).sort();
  assert.deepEqual(found, Array.from({ length: 10 }, (_, n) => `paged-team-0${n}`));
  const seven = page.locator('[data-testid=team-row][data-alias="paged-team-07"]');
  assert.equal(await seven.locator("td").nth(5).innerText(), "3", "its keys are counted");
  await shot("04e-teams-searched");
  await seven.getByTestId("delete-team").click();
  await page.getByTestId("confirm-dialog").getByText(/team-seven-0/).waitFor();
  assert.match(await page.getByTestId("confirm-button").innerText(), /Delete team and 3 keys/);
  await page.getByTestId("confirm-cancel").click();
  await page.getByTestId("team-search").fill("nothing-like-it");
  await page.getByTestId("teams-none").waitFor();
  await page.getByTestId("team-search").fill("");
  await page.getByTestId("teams-pager").waitFor();
});

test("keys: a long list is paged and searched by the gateway", async () => {
  for (let n = 0; n < 120; n++) {
    const made = await api(stack.gatewayUrl, "POST", "/key/generate", { key_alias: `paged-${String(n).padStart(3, "0")}` });
    assert.equal(made.status, 200, JSON.stringify(made.json));
  }
  const total = (await api(stack.gatewayUrl, "GET", "/key/list?size=1")).json.total_count;
  assert.ok(total >= 120);
  await open("keys");
  const aliases = () => page.locator("[data-testid=key-row]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alias")));
  await page.getByTestId("keys-pager").waitFor();
  assert.equal((await aliases()).length, 50, "one page of 50");
  assert.equal((await aliases())[0], "paged-119", "newest first");
  assert.equal(await page.getByTestId("keys-pager-range").innerText(), `1–50 of ${total}`);
  assert.ok(await page.getByTestId("keys-pager-prev").isDisabled());
  await shot("11b-keys-paged");
  await page.getByTestId("keys-pager-bottom").scrollIntoViewIfNeeded();
  await shot("11b2-keys-paged-bottom");
  await page.getByTestId("keys-pager-bottom-next").click();
  await page.getByTestId("keys-pager-range").getByText(`51–100 of ${total}`).waitFor();
  assert.equal((await aliases())[0], "paged-069");

  // The search asks the gateway (every key, not this page) and starts again from page 1.
  await page.getByTestId("key-search").fill("PAGED-1");
  await page.getByTestId("keys-pager").waitFor({ state: "detached" });
  const found = await aliases();
  assert.equal(found.length, 20, found.join(" "));
  assert.ok(found.every((a) => a.startsWith("paged-1")));
  assert.equal(await page.locator("[data-testid^=keys-pager]").count(), 0, "one page: no pager");
  await shot("11c-keys-searched");
  await page.getByTestId("key-search").fill("no-such-key-anywhere");
  await page.getByTestId("keys-none").waitFor();
  assert.match(await page.getByTestId("keys-none").innerText(), /No key’s name contains “no-such-key-anywhere”/);
  await shot("11d-keys-no-match");
  await page.getByTestId("key-search").fill("");
  await page.getByTestId("keys-pager").waitFor();
});

test("sign out forgets the key; the desktop app's injected gateway skips sign-in", async () => {
  await page.getByTestId("sign-out").click();
  await page.getByTestId("signin-form").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("switchboard.session")), null);

  const app = await stack.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await app.addInitScript(
    ([url, masterKey]) => {
      window.__SWITCHBOARD__ = { url, masterKey, desktop: true };
    },
    [stack.gatewayUrl, MASTER_KEY],
  );
  const p = await app.newPage();
  await p.goto(`${stack.panelUrl}#/models`);
  await p.getByTestId("signed-in-local").waitFor();
  assert.equal(await p.getByTestId("signin-form").count(), 0);
  // The app's Settings page needs the app's IPC, which a browser has not: no Settings entry.
  await p.getByTestId("nav-models").waitFor();
  assert.equal(await p.getByTestId("nav-settings").count(), 0);
  await p.getByTestId("page-models").waitFor();
  await p.locator('[data-testid=model-group][data-alias="claude-sonnet"]').waitFor();
  await p.screenshot({ path: path.join(screenshotDir, "12-desktop-injected.png") });
  await app.close();
});
