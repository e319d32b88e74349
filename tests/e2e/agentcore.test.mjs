// The AgentCore page end to end, in headless Chromium against `switchboard serve` wired to the
// fake AgentCore of fake-upstreams (control plane + InvokeHarness, whose harness calls this
// gateway, which calls the fake Bedrock): the seed article's story as buttons — empty lists, the
// doctor (loopback API base, the bare `claude-haiku`), "Wire everything" step by step, the
// provider holding agentcore-harness-key, the harness READY, the harness playground (two turns
// in one session, a tool), the model switch, the harness's calls in the request log, the harness
// as a model (`bedrock/agentcore/<ARN>`) in the Models page and the Playground, the harness's
// versions compared and an endpoint kept at an older one, the whole harness edited (tools, skills,
// memory, limits, environment; hidden values), providers (one reading its key from a Secrets
// Manager secret, moto's)
// created/rotated, and a wiring that fails at CreateHarness (AccessDenied).
// Screenshots go to target/e2e-screenshots/30-agentcore-*.png.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, api, screenshotDir, signedInPage, startStack } from "./harness.mjs";

const ROLE = "arn:aws:iam::123456789012:role/AgentCoreHarnessRole";
const DENIED_ROLE = "arn:aws:iam::123456789012:role/DeniedHarnessRole";
const AWS_SECRET = "agentcore-e2e-secret-0123456789abcdef";
const DEPLOYED = "https://switchboard-gateway-1234567890.us-east-1.elb.amazonaws.com";

let stack;
let context;
let page;
/** Clear keys this test knows: they must never show in the page or the gateway's log. */
const clearKeys = [];

/**
 * A screenshot of the whole page: the panel scrolls inside `.main`, so the viewport is made as
 * tall as its content for the shot. Toasts are hidden unless asked for (they cover the page).
 */
async function shot(name, { toasts = false } = {}) {
  const height = await page.evaluate(() => Math.max(900, document.querySelector(".main")?.scrollHeight ?? 0, document.querySelector(".modal")?.scrollHeight + 120 || 0));
  await page.setViewportSize({ width: 1440, height: Math.min(height, 4000) });
  await page.screenshot({ path: path.join(screenshotDir, `30-agentcore-${name}.png`), style: toasts ? undefined : ".toasts { display: none; }" });
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** A screenshot of an open dialog with all of its body (it scrolls inside the page otherwise). */
async function modalShot(name) {
  const height = await page.evaluate(() => (document.querySelector(".modal-body")?.scrollHeight ?? 0) + 320);
  await page.setViewportSize({ width: 1440, height: Math.min(Math.max(height, 900), 8000) });
  await page.screenshot({
    path: path.join(screenshotDir, `30-agentcore-${name}.png`),
    style: ".toasts { display: none; } .modal { max-height: none !important; } .modal-body { overflow: visible !important; }",
  });
  await page.setViewportSize({ width: 1440, height: 900 });
}

async function settle() {
  await page.locator(".spinner").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => {});
}

async function tab(id) {
  await page.getByTestId(`ac-tab-${id}`).click();
  await page.getByTestId(`ac-panel-${id}`).waitFor();
}

const providerRow = (name) => page.locator(`[data-testid=provider-row][data-name="${name}"]`);
const harnessRow = (name) => page.locator(`[data-testid=harness-row][data-name="${name}"]`);

/** A call to the fake's control plane as the AWS console would make it (any SigV4 is accepted). */
async function consoleCall(p, body) {
  const r = await fetch(`${stack.upstreams.agentcore_control}${p}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "AWS4-HMAC-SHA256 Credential=AKIDCONSOLE/20260610/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

/** One Secrets Manager call to moto (awsJson1.1), as the AWS CLI would make it. */
async function secretsManager(operation, body) {
  const r = await fetch(stack.secretsManagerUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `secretsmanager.${operation}`,
      authorization: "AWS4-HMAC-SHA256 Credential=testing/20260610/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

/** Nothing secret in the page's DOM. */
async function assertNoSecretsShown() {
  const html = await page.content();
  assert.ok(!html.includes(AWS_SECRET), "the AWS secret is not in the page");
  for (const k of clearKeys) assert.ok(!html.includes(k), "a clear key is not in the page");
}

before(async () => {
  stack = await startStack({ agentcore: true, secretsManager: true });
  ({ context, page } = await signedInPage(stack, { timeout: 15_000 }));
});

after(async () => {
  await context?.close().catch(() => {});
  if (stack) {
    if (process.env.E2E_SHOW_GATEWAY_LOG) console.log(stack.logs.gateway);
    await stack.stop();
  }
});

test("the page: empty lists, the loopback API base explained, the deployed URL offered", async () => {
  await page.getByTestId("nav-agentcore").click();
  await page.getByTestId("page-agentcore").waitFor();
  await page.getByTestId("providers-empty").waitFor();
  await page.getByTestId("harnesses-empty").waitFor();
  assert.equal(await page.getByTestId("ac-region").inputValue(), "us-east-1");
  assert.equal(await page.getByTestId("ac-api-base-value").innerText(), stack.gatewayUrl);
  const warning = await page.getByTestId("ac-api-base-warning").innerText();
  assert.match(warning, /AWS cannot reach/);
  assert.match(warning, /loopback/);
  assert.match(warning, /Deploy page/);
  await shot("01-empty");

  // Another region: its own (empty) lists.
  await page.getByTestId("ac-region").selectOption("us-west-2");
  await page.getByTestId("providers-card").getByText("us-west-2").first().waitFor();
  await page.getByTestId("providers-empty").waitFor();
  await page.getByTestId("ac-region").selectOption("us-east-1");
  await page.getByTestId("providers-empty").waitFor();

  // The Deploy page left its URL: offered as the API base.
  await page.evaluate((u) => sessionStorage.setItem("switchboard.deployedUrl", u), DEPLOYED);
  await page.reload();
  await page.getByTestId("ac-deployed-offer").waitFor();
  await page.getByTestId("ac-use-deployed").click();
  assert.equal(await page.getByTestId("ac-api-base-value").innerText(), DEPLOYED);
  assert.equal(await page.getByTestId("ac-api-base-warning").count(), 0);
  assert.equal(await page.getByTestId("ac-api-base").getAttribute("data-reachable"), "true");
  await shot("02-deployed-url-offered");
  await page.getByTestId("ac-api-base-reset").click();
  await page.getByTestId("ac-api-base-warning").waitFor();
  await page.evaluate(() => sessionStorage.removeItem("switchboard.deployedUrl"));
  await page.reload();
  await page.getByTestId("harnesses-empty").waitFor();
});

test("harness form: the name and the numbers are checked; the doctor finds the loopback API base", async () => {
  await page.getByTestId("harness-new").click();
  const dialog = page.getByTestId("harness-dialog");
  await dialog.waitFor();
  // The seed's name with a hyphen: refused before sending, with a suggestion.
  await page.getByTestId("hf-name").fill("seed-harness");
  await dialog.getByText(/no hyphens/).waitFor();
  await page.getByTestId("hf-role").fill("AgentCoreHarnessRole");
  await page.getByTestId("hf-temperature").fill("2.5");
  await page.getByTestId("hf-top-p").fill("1.5");
  await page.getByTestId("harness-save").click();
  await dialog.getByText(/Not an IAM role ARN/).waitFor();
  await dialog.getByText("Temperature must be between 0 and 2").waitFor();
  await dialog.getByText("Top P must be between 0 and 1").waitFor();
  await shot("03-harness-form-invalid");
  await page.getByTestId("hf-name-suggestion").click();
  assert.equal(await page.getByTestId("hf-name").inputValue(), "seed_harness");
  await page.getByTestId("hf-role").fill(ROLE);
  await page.getByTestId("hf-temperature").fill("0.2");
  await page.getByTestId("hf-top-p").fill("0.9");
  // The model is an alias of the gateway, always sent with the prefix.
  assert.equal(await page.getByTestId("hf-model-id").innerText(), "litellm_proxy/claude-haiku");
  assert.deepEqual((await page.getByTestId("hf-model").locator("option").allInnerTexts()).sort(), ["litellm_proxy/claude-haiku", "litellm_proxy/claude-sonnet"]);
  assert.match(await page.getByTestId("hf-api-base-hint").innerText(), /AWS cannot reach/);

  // The doctor on demand: every finding with its fix.
  await page.getByTestId("harness-doctor").click();
  const report = page.getByTestId("harness-doctor-report");
  await report.waitFor();
  const unreachable = report.locator("[data-testid=finding][data-check=api_base_unreachable]");
  assert.match(await unreachable.innerText(), /loopback/);
  assert.match(await unreachable.getByTestId("finding-fix").innerText(), /Deploy the gateway/);
  await report.locator("[data-testid=finding][data-check=provider_missing]").waitFor();
  await shot("04-harness-form-doctor");

  // Saving is refused (the provider does not exist): AgentCore's answer and what to do.
  await page.getByTestId("harness-save").click();
  await page.getByTestId("harness-error").waitFor();
  assert.match(await page.getByTestId("harness-error-message").innerText(), /ResourceNotFoundException/);
  assert.match(await page.getByTestId("harness-error-fix").innerText(), /Create it first/);
  await shot("05-harness-save-refused");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await page.getByTestId("harnesses-empty").waitFor();
});

test("doctor: the seed's bare claude-haiku is found, with the litellm_proxy/ fix", async () => {
  await tab("doctor");
  await page.getByTestId("doctor-model").fill("claude-haiku");
  await page.getByTestId("doctor-run").click();
  const f = page.getByTestId("doctor-page-report").locator("[data-testid=finding][data-check=model_prefix]");
  await f.waitFor();
  assert.match(await f.innerText(), /LLM Provider NOT provided/);
  assert.match(await f.getByTestId("finding-fix").innerText(), /litellm_proxy\/claude-haiku/);
  await shot("06-doctor-bare-model");
});

/**
 * Records every status each wiring step shows in the browser: the old value of each change of
 * `data-status` (so a status replaced within one task is still seen), then the final one.
 */
async function recordSteps() {
  await page.evaluate(() => {
    window.__wireSeq = {};
    window.__wireObserver?.disconnect();
    window.__wireRecord = (records) => {
      for (const r of records) {
        if (r.type !== "attributes") continue;
        const id = r.target.getAttribute("data-step");
        (window.__wireSeq[id] ??= []).push(r.oldValue);
      }
    };
    window.__wireObserver = new MutationObserver(window.__wireRecord);
    window.__wireObserver.observe(document.body, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-status"] });
  });
}

async function recordedSteps() {
  return page.evaluate(() => {
    window.__wireRecord(window.__wireObserver.takeRecords());
    const out = {};
    for (const el of document.querySelectorAll("[data-testid=wire-step]")) {
      const id = el.getAttribute("data-step");
      out[id] = [...(window.__wireSeq[id] ?? []), el.getAttribute("data-status")].filter((v, i, a) => i === 0 || v !== a[i - 1]);
    }
    return out;
  });
}

const stepStatuses = () => page.locator("[data-testid=wire-step]").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-step")}:${e.getAttribute("data-status")}`));

test("wire everything: stopped by the doctor first, then all six steps done", async () => {
  await tab("wire");
  await page.getByTestId("wf-name").fill("seed_harness");
  await page.getByTestId("wf-role").fill(ROLE);
  assert.equal(await page.getByTestId("wf-model-id").innerText(), "litellm_proxy/claude-haiku");
  assert.equal(await page.getByTestId("wf-provider").inputValue(), "litellm-proxy");
  assert.equal(await page.getByTestId("wf-team-alias").inputValue(), "agentcore-harness");
  assert.equal(await page.getByTestId("wf-key-alias").inputValue(), "agentcore-harness-key");

  // The loopback API base: the doctor stops it before anything is made.
  await page.getByTestId("wire-run").click();
  const summary = page.getByTestId("wire-summary");
  await summary.waitFor();
  assert.equal(await summary.getAttribute("data-ok"), "false");
  assert.deepEqual(await stepStatuses(), ["preflight:failed", "team:not_started", "key:not_started", "provider:not_started", "harness:not_started", "ready:not_started"]);
  assert.match(await page.getByTestId("wire-summary-message").innerText(), /Nothing was created or changed/);
  assert.match(await page.getByTestId("wire-summary-fix").innerText(), /Deploy the gateway/);
  await page.locator("[data-testid=wire-step][data-step=preflight] [data-testid=finding][data-check=api_base_unreachable]").waitFor();
  await shot("07-wire-refused-by-doctor");

  // This fake harness can reach the gateway: wire anyway, and watch each step.
  await recordSteps();
  await page.getByTestId("wire-force").click();
  await page.locator("[data-testid=wire-summary][data-ok=true]").waitFor({ timeout: 60_000 });
  assert.deepEqual(await stepStatuses(), ["preflight:done", "team:done", "key:done", "provider:done", "harness:done", "ready:done"]);
  // Each step was shown running, then done, in order.
  const seq = await recordedSteps();
  for (const id of ["preflight", "team", "key", "provider", "harness", "ready"]) {
    assert.deepEqual(seq[id].slice(-2), ["running", "done"], `${id}: ${JSON.stringify(seq)}`);
  }
  const text = await page.getByTestId("wire-summary").innerText();
  assert.match(text, /Wired: harness seed_harness/);
  assert.match(text, /litellm_proxy\/claude-haiku/);
  assert.match(text, /holds key agentcore-harness-key/);
  await shot("08-wired");
});

test("lists: the provider holds agentcore-harness-key, the harness is READY with litellm_proxy/claude-haiku", async () => {
  await tab("resources");
  const p = providerRow("litellm-proxy");
  await p.waitFor();
  assert.match(await p.getByTestId("provider-key").innerText(), /holds key agentcore-harness-key/);
  assert.match(await p.innerText(), /team agentcore-harness/);
  const h = harnessRow("seed_harness");
  await page.locator('[data-testid=harness-row][data-name="seed_harness"][data-status=READY]').waitFor();
  assert.equal(await h.getAttribute("data-model"), "litellm_proxy/claude-haiku");
  assert.match(await h.innerText(), /litellm/);
  assert.match(await h.innerText(), /holds key agentcore-harness-key/);
  await shot("09-lists");

  // Details, with the doctor on demand.
  await h.locator("td").first().click();
  const d = page.getByTestId("harness-details");
  await d.waitFor();
  assert.match(await page.getByTestId("details-model-id").innerText(), /litellm_proxy\/claude-haiku/);
  assert.match(await page.getByTestId("details-arn").innerText(), /^arn:aws:bedrock-agentcore:us-east-1:123456789012:harness\/seed_harness-/);
  await page.getByTestId("details-doctor").click();
  await page.getByTestId("details-doctor-report").waitFor();
  await page.getByTestId("details-doctor-report").locator("[data-testid=finding][data-check=api_base_unreachable]").waitFor();
  await shot("10-harness-details");
  await page.keyboard.press("Escape");
  await d.waitFor({ state: "detached" });

  // Edit: only what changed is sent (a system prompt alone needs no doctor).
  await h.getByTestId("harness-edit").click();
  await page.getByTestId("harness-dialog").waitFor();
  assert.equal(await page.getByTestId("hf-name").count(), 0, "the name cannot change");
  assert.equal(await page.getByTestId("hf-model").inputValue(), "claude-haiku");
  assert.equal(await page.getByTestId("hf-provider").inputValue(), "litellm-proxy");
  assert.match(await page.getByTestId("hf-provider-arn").innerText(), /holds key agentcore-harness-key/);
  await page.getByTestId("hf-system").fill("You are terse.");
  await page.getByTestId("harness-save").click();
  await page.getByTestId("harness-dialog").waitFor({ state: "detached" });
  await page.getByTestId("toast").getByText(/Saved seed_harness/).waitFor();
  const saved = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0];
  assert.equal(saved.system_prompt, "You are terse.");
  assert.equal(saved.model.model_id, "litellm_proxy/claude-haiku");
});

let sessionId;

test("harness playground: a streamed answer, a second turn in the same session with a tool", async () => {
  await harnessRow("seed_harness").getByTestId("harness-play").click();
  await page.getByTestId("ac-panel-playground").waitFor();
  assert.equal(await page.getByTestId("hp-harness").inputValue(), (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0].harness_id);
  await page.getByTestId("hp-session-none").waitFor();
  await page.getByTestId("hp-input").fill("Hello");
  await page.getByTestId("hp-input").press("Enter");
  const first = page.locator("[data-testid=hp-turn][data-streaming=false]").nth(0);
  await first.waitFor({ timeout: 30_000 });
  assert.equal(await first.getByTestId("hp-text").innerText(), "Hello from fake-bedrock! You said: Hello");
  const usage = await first.getByTestId("hp-usage").innerText();
  assert.match(usage, /stop: end_turn/);
  assert.match(usage, /\d+ in · \d+ out · \d+ tokens/);
  assert.match(usage, /litellm_proxy\/claude-haiku/);
  sessionId = await page.getByTestId("hp-session").locator("code").innerText();
  assert.match(sessionId, /^[a-zA-Z0-9][a-zA-Z0-9_-]{32,99}$/);
  assert.equal(await first.getAttribute("data-session"), sessionId);

  // The second turn: the same session, a tool call, a hook event, the tool's result.
  await page.getByTestId("hp-input").fill("What time is it in Paris? Use the tool.");
  await page.getByTestId("hp-send").click();
  const second = page.locator("[data-testid=hp-turn][data-streaming=false]").nth(1);
  await second.waitFor({ timeout: 30_000 });
  assert.equal(await second.getAttribute("data-session"), sessionId);
  assert.match(await second.getByTestId("hp-tool-use").innerText(), /current_time/);
  assert.match(await second.getByTestId("hp-tool-use").innerText(), /Paris/);
  assert.match(await second.getByTestId("hp-hook").innerText(), /before_tool_call/);
  assert.match(await second.getByTestId("hp-tool-result").innerText(), /It is 12:00 in Paris\./);
  assert.match(await second.getByTestId("hp-text").last().innerText(), /The tool said: It is 12:00 in Paris\./);
  assert.deepEqual(await second.getByTestId("hp-stop-marker").allInnerTexts(), ["message stop: tool_use", "message stop: tool_result", "message stop: end_turn"]);
  assert.equal(await page.getByTestId("hp-session").locator("code").innerText(), sessionId);
  // Each turn shows the calls the harness made to this gateway, under its key, in its trace.
  const firstCalls = first.getByTestId("hp-call");
  assert.equal(await firstCalls.count(), 1);
  assert.match(await firstCalls.innerText(), /claude-haiku[\s\S]*agentcore-harness-key[\s\S]*success[\s\S]*by trace/);
  assert.equal(await second.getByTestId("hp-call").count(), 2);
  assert.match(await second.getByTestId("hp-calls-summary").innerText(), /^2 gateway calls · \d+ in · \d+ out · \$/);
  await shot("11-playground-two-turns");
});

test("past sessions: the session with its turns, their gateway calls and totals; continue it", async () => {
  // Past sessions come from the request log, which the gateway writes within a second of each
  // call: wait until the last turn's calls are in it.
  const harnessId = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0].harness_id;
  for (let i = 0; i < 50; i++) {
    const listed = (await api(stack.gatewayUrl, "GET", `/agentcore/harnesses/${harnessId}/sessions`)).json;
    if (listed.sessions?.find((x) => x.session_id === sessionId)?.totals?.calls === 3) break;
    await page.waitForTimeout(200);
  }
  await page.getByTestId("hp-past-sessions").click();
  const row = page.locator(`[data-testid=hs-row][data-session="${sessionId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Hello\s+2\s+3\s/);
  await row.click();
  const view = page.getByTestId("hs-session");
  await view.waitFor();
  assert.equal(await view.getByTestId("hs-turn").count(), 2);
  assert.equal(await view.getByTestId("hp-call").count(), 3);
  assert.match(await view.getByTestId("hs-totals").innerText(), /2 turns[\s\S]*gateway: 3 calls/);
  await shot("12-past-sessions");
  await view.getByTestId("hs-continue").click();
  await page.getByTestId("hp-transcript").waitFor();
  assert.equal(await page.getByTestId("hp-session").locator("code").innerText(), sessionId);
});

test("switch the model to claude-sonnet in one click; the next turn goes to it", async () => {
  const sw = page.getByTestId("hp-switch");
  assert.equal(await sw.getAttribute("data-target"), "claude-sonnet");
  await sw.click();
  // The API base is this machine: the doctor says so before saving; switch anyway.
  await page.getByTestId("switch-refused").waitFor();
  await page.getByTestId("switch-doctor-report").locator("[data-testid=finding][data-check=api_base_unreachable]").waitFor();
  await shot("12-switch-doctor");
  await page.getByTestId("switch-anyway").click();
  await page.getByTestId("switch-refused").waitFor({ state: "detached" });
  await page.getByTestId("hp-model-id").getByText("litellm_proxy/claude-sonnet").waitFor();
  assert.equal(await page.getByTestId("hp-switch").getAttribute("data-target"), "claude-haiku");
  // A new session (this fake's model keeps calling the tool once a conversation asked for it).
  await page.getByTestId("hp-new-session").click();
  await page.getByTestId("hp-session-none").waitFor();
  assert.equal(await page.getByTestId("hp-turn").count(), 0);
  await page.getByTestId("hp-input").fill("Hi sonnet");
  await page.getByTestId("hp-send").click();
  const turn = page.locator("[data-testid=hp-turn][data-streaming=false]").first();
  await turn.waitFor({ timeout: 30_000 });
  assert.equal(await turn.getByTestId("hp-text").innerText(), "Hello from fake-bedrock! You said: Hi sonnet");
  assert.match(await turn.getByTestId("hp-usage").innerText(), /litellm_proxy\/claude-sonnet/);
  assert.notEqual(await page.getByTestId("hp-session").locator("code").innerText(), sessionId);
  await shot("13-playground-switched-to-sonnet");
});

test("versions and endpoints in the harness's details: what changed, an endpoint kept at an older version", async () => {
  await tab("resources");
  const h = harnessRow("seed_harness");
  await h.locator("td").first().click();
  const d = page.getByTestId("harness-details");
  await d.waitFor();
  await d.getByTestId("harness-versions").waitFor();
  // Created, its system prompt edited, switched to claude-sonnet: three versions.
  assert.deepEqual(await d.getByTestId("hv-version").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-version"))), ["3", "2", "1"]);
  await d.getByTestId("hv-from").selectOption("1");
  await d.getByTestId("hv-to").selectOption("3");
  await d.getByTestId("hv-compare").click();
  const change = d.locator("[data-testid=hv-change][data-field='model.model_id']");
  await change.waitFor();
  assert.match(await change.innerText(), /litellm_proxy\/claude-haiku[\s\S]*→[\s\S]*litellm_proxy\/claude-sonnet/);
  assert.equal(await d.locator("[data-testid=hv-change][data-field=system_prompt]").count(), 1);
  // A named endpoint serving version 1 (claude-haiku) while DEFAULT serves the latest.
  await d.getByTestId("hv-new-name").fill("bad-name");
  assert.equal(await d.getByTestId("hv-create").isDisabled(), true, "the name is checked before AWS is asked");
  await d.getByTestId("hv-new-name").fill("stable");
  await d.getByTestId("hv-new-version").selectOption("1");
  await d.getByTestId("hv-create").click();
  const stable = d.locator("[data-testid=hv-endpoint][data-name=stable]");
  await stable.waitFor();
  assert.equal(await stable.getByTestId("hv-point").inputValue(), "1");
  assert.match(await d.locator("[data-testid=hv-endpoint][data-name=DEFAULT]").innerText(), /v3 · follows the latest/);
  await shot("13b-versions-and-endpoints");
  const harnessId = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0].harness_id;
  const r = await fetch(`${stack.gatewayUrl}/agentcore/harnesses/${harnessId}/invoke`, {
    method: "POST",
    headers: { Authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ message: "Which version?", endpoint: "stable" }),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /"model_group":"claude-haiku"/, "the stable endpoint's turn went to version 1's model");
  await page.keyboard.press("Escape");
  await d.waitFor({ state: "detached" });

  // The playground can send a turn to the endpoint: version 1's model answers.
  await tab("playground");
  await page.getByTestId("hp-endpoint").selectOption("stable");
  await page.getByTestId("hp-new-session").click().catch(() => {});
  await page.getByTestId("hp-input").fill("At the stable endpoint");
  await page.getByTestId("hp-send").click();
  const turn = page.locator("[data-testid=hp-turn][data-streaming=false]").last();
  await turn.getByTestId("hp-turn-endpoint").waitFor({ timeout: 30_000 });
  assert.equal(await turn.getByTestId("hp-turn-endpoint").innerText(), "endpoint stable (v1)");
  assert.match(await turn.getByTestId("hp-usage").innerText(), /litellm_proxy\/claude-haiku/);
  assert.match(await turn.getByTestId("hp-call").first().innerText(), /claude-haiku/);
  await shot("13c-playground-at-an-endpoint");
  await page.getByTestId("hp-endpoint").selectOption("");
  await api(stack.gatewayUrl, "DELETE", `/agentcore/harnesses/${harnessId}/endpoints/stable`);
});

test("the whole harness in the form: tools, skills, memory, hooks, limits, environment; the doctor reads them; values stay hidden", async () => {
  await tab("resources");
  const h = harnessRow("seed_harness");
  await h.getByTestId("harness-edit").click();
  const dialog = page.getByTestId("harness-dialog");
  await dialog.getByTestId("harness-settings").waitFor();
  assert.match(await dialog.getByTestId("hs-tools").innerText(), /No tools/);
  await modalShot("13d-editor-empty");

  // An MCP server on this machine, a function, a skill, managed memory, limits, a variable.
  await dialog.getByTestId("hs-add-tool").click();
  await dialog.getByTestId("hs-tool-0-name").fill("docs");
  await dialog.getByTestId("hs-tool-0-url").fill("http://localhost:8931/mcp");
  await dialog.getByTestId("hs-tool-0-headers").fill("Authorization: Bearer mcp-token-0123456789");
  await dialog.getByTestId("hs-add-tool").click();
  await dialog.getByTestId("hs-tool-1-type").selectOption("inline_function");
  await dialog.getByTestId("hs-tool-1-name").fill("lookup_order");
  await dialog.getByTestId("hs-tool-1-description").fill("Finds an order by its id");
  await dialog.getByTestId("hs-tool-1-schema").fill('{"type": "object", "properties": {"id": {"type": "string"}}');
  await dialog.getByTestId("hs-allowed-tools").fill("docs, lookup_order");
  await dialog.getByTestId("hs-add-skill").click();
  await dialog.getByTestId("hs-skill-0-kind").selectOption("s3");
  await dialog.getByTestId("hs-skill-0-value").fill("acme-skills/triage");
  await dialog.getByTestId("hs-memory-kind").selectOption("managed");
  await dialog.getByTestId("hs-memory-strategies").getByText("semantic").click();
  await dialog.getByTestId("hs-truncation").selectOption("summarization");
  await dialog.getByTestId("hs-summary-ratio").fill("0.3");
  await dialog.getByTestId("hs-max-iterations").fill("0");
  await dialog.getByTestId("hs-timeout").fill("300");
  await dialog.getByTestId("hs-add-hook").click();
  await dialog.getByTestId("hs-hook-0-name").fill("guard");
  await dialog.getByTestId("hs-hook-0-arn").fill("arn:aws:lambda:us-east-1:123456789012:function:guard");
  await dialog.getByTestId("hs-hook-0-failure").selectOption("allow");
  await dialog.getByTestId("hs-add-env").click();
  await dialog.getByTestId("hs-env-0-name").fill("ORDERS_TOKEN");
  await dialog.getByTestId("hs-env-0-value").fill("orders-secret-0123456789");
  clearKeys.push("orders-secret-0123456789", "mcp-token-0123456789");
  // Checked before anything is sent: the schema's JSON, the S3 URI, the iterations.
  await dialog.getByTestId("harness-save").click();
  await dialog.getByText("A JSON Schema object").waitFor();
  await dialog.getByText("Must be an s3:// URI").waitFor();
  await dialog.getByText("Max iterations must be at least 1").waitFor();
  await modalShot("13e-editor-checked");
  await dialog.getByTestId("hs-tool-1-schema").fill('{"type": "object", "properties": {"id": {"type": "string"}}}');
  await dialog.getByTestId("hs-skill-0-value").fill("s3://acme-skills/triage");
  await dialog.getByTestId("hs-max-iterations").fill("20");
  // The doctor refuses the MCP server AWS cannot reach.
  await dialog.getByTestId("harness-save").click();
  await page.getByTestId("harness-refused").waitFor();
  await page.getByTestId("harness-doctor-report").locator("[data-testid=finding][data-check=tool_unreachable]").waitFor();
  await modalShot("13f-editor-doctor");
  await dialog.getByTestId("hs-tool-0-url").fill("https://mcp.example.com/mcp");
  await dialog.getByTestId("harness-save").click();
  await dialog.waitFor({ state: "detached" });

  const harnessId = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0].harness_id;
  const wire = (await api(stack.gatewayUrl, "GET", `/agentcore/harnesses/${harnessId}`)).json;
  assert.deepEqual(wire.tools.map((t) => t.name), ["docs", "lookup_order"]);
  assert.deepEqual(wire.allowed_tools, ["docs", "lookup_order"]);
  assert.deepEqual(wire.skills, [{ s3: { uri: "s3://acme-skills/triage" } }]);
  assert.deepEqual(wire.memory.managed.strategies, ["SEMANTIC"]);
  assert.deepEqual(wire.truncation, { strategy: "summarization", config: { summarization: { summary_ratio: 0.3 } } });
  assert.equal(wire.max_iterations, 20);
  assert.equal(wire.timeout_seconds, 300);
  assert.deepEqual(wire.hooks, [{ before_tool_call: { name: "guard", target: { lambda: { arn: "arn:aws:lambda:us-east-1:123456789012:function:guard", timeout_seconds: 60, failure_mode: "allow" } } } }]);
  assert.match(wire.environment_variables.ORDERS_TOKEN, /^<hidden:[0-9a-f]{8}>$/);

  // The details sum it up; the form shows it back with the values hidden, and saves it unchanged.
  await h.locator("td").first().click();
  const d = page.getByTestId("harness-details");
  assert.match(await d.getByTestId("details-settings").innerText(), /2 tools: docs, lookup_order · allowed: docs, lookup_order · 1 skill · managed memory · truncation: summarization · 1 hook · env: ORDERS_TOKEN/);
  await page.keyboard.press("Escape");
  await d.waitFor({ state: "detached" });
  await h.getByTestId("harness-edit").click();
  await dialog.getByTestId("hs-tool-0-url").waitFor();
  assert.match(await dialog.getByTestId("hs-tool-0-headers").inputValue(), /^Authorization: <hidden:[0-9a-f]{8}>$/);
  assert.equal(await dialog.getByTestId("hs-env-0-value").inputValue(), "");
  assert.equal(await dialog.getByTestId("hs-env-0-value").getAttribute("placeholder"), "hidden: type to replace");
  await assertNoSecretsShown();
  await modalShot("13g-editor-saved");
  await dialog.getByTestId("hs-timeout").fill("600");
  await dialog.getByTestId("harness-save").click();
  await dialog.waitFor({ state: "detached" });
  const after = (await api(stack.gatewayUrl, "GET", `/agentcore/harnesses/${harnessId}`)).json;
  assert.equal(after.timeout_seconds, 600);
  assert.equal(after.environment_variables.ORDERS_TOKEN, wire.environment_variables.ORDERS_TOKEN, "the hidden value was kept");
  assert.deepEqual(after.tools, wire.tools, "the hidden header was kept");
});

test("the harness's calls are in the request log under its key", async () => {
  await tab("playground");
  await page.getByTestId("hp-requests").click();
  await page.getByTestId("page-requests").waitFor();
  const token = (await api(stack.gatewayUrl, "GET", "/agentcore/providers")).json.providers[0].key.token;
  // The key filter holds the provider's key, shown by its alias.
  await page.locator(`[data-testid=filter-key][data-value="${token}"]`).waitFor();
  await page.waitForFunction(() => document.querySelector("[data-testid=filter-key-input]")?.value === "agentcore-harness-key", null, { timeout: 10_000 });
  const rows = page.getByTestId("request-row");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=request-row]").length >= 4);
  const texts = await rows.allInnerTexts();
  assert.ok(texts.every((t) => t.includes("agentcore-harness-key")), texts.join("\n"));
  const models = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-model")));
  assert.ok(models.includes("claude-haiku") && models.includes("claude-sonnet"), models.join(","));
  // Live: the harness calls the gateway again (a turn made outside the panel); its request shows up.
  const before = await rows.count();
  const harnessId = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0].harness_id;
  const r = await fetch(`${stack.gatewayUrl}/agentcore/harnesses/${harnessId}/invoke`, {
    method: "POST",
    headers: { Authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ message: "Live?" }),
  });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /"type":"done"/);
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=request-row]").length > n, before);
  assert.match(await rows.first().innerText(), /agentcore-harness-key/);
  await shot("14-requests-under-the-harness-key");
  await page.getByTestId("nav-agentcore").click();
  await page.getByTestId("page-agentcore").waitFor();
  await settle();
});

test("the harness as a model: the Models page lists it, the Playground talks to it in one session", async () => {
  const harness = (await api(stack.gatewayUrl, "GET", "/agentcore/harnesses")).json.harnesses[0];
  const added = await api(stack.gatewayUrl, "POST", "/model/new", {
    model_name: "desk-harness",
    litellm_params: { model: `bedrock/agentcore/${harness.arn}`, aws_bedrock_runtime_endpoint: stack.upstreams.agentcore_runtime },
  });
  assert.equal(added.status, 200, JSON.stringify(added.json));
  await page.getByTestId("nav-models").click();
  const group = page.locator("[data-testid=model-group][data-alias=desk-harness]");
  await group.waitFor();
  const row = await group.innerText();
  assert.match(row, /agentcore/);
  assert.match(row, /harness\/seed_harness-/);
  assert.match(row, /us-east-1/);
  await shot("15-models-harness-as-model");

  const invocations = async () => {
    const r = await fetch(`${stack.upstreams.agentcore_runtime}/_fake/requests`);
    return (await r.json()).filter((q) => q.method === "POST" && q.path.startsWith("/harnesses/invoke"));
  };
  const before = (await invocations()).length;
  await page.getByTestId("nav-playground").click();
  await page.getByTestId("page-playground").waitFor();
  await page.getByTestId("pg-model-0").selectOption("desk-harness");
  assert.match(await page.getByTestId("pg-agent-note").innerText(), /desk-harness is an AgentCore harness \(seed_harness-\w+, us-east-1\)/);
  for (const [i, said] of ["My name is Ada", "What is my name?"].entries()) {
    await page.getByTestId("pg-input").fill(said);
    await page.getByTestId("pg-input").press("Enter");
    const turn = page.locator("[data-testid=msg-assistant][data-streaming=false]").nth(i);
    await turn.waitFor();
    assert.equal(await turn.getByTestId("msg-content").innerText(), `Hello from fake-bedrock! You said: ${said}`);
  }
  const calls = (await invocations()).slice(before);
  assert.equal(calls.length, 2);
  const session = (q) => (Array.isArray(q.headers) ? Object.fromEntries(q.headers) : q.headers)["x-amzn-bedrock-agentcore-runtime-session-id"];
  assert.equal(session(calls[0]), session(calls[1]), "one runtime session for the Playground's conversation");
  assert.deepEqual(calls[1].body.messages.map((m) => m.content[0].text), ["What is my name?"], "the session holds the first turn");
  await shot("15b-playground-harness-as-model");
  await page.getByTestId("nav-agentcore").click();
  await page.getByTestId("page-agentcore").waitFor();
  await settle();
});

test("a harness made in the console with the seed's bare claude-haiku: found, explained, fixed in one click", async () => {
  const arn = (await api(stack.gatewayUrl, "GET", "/agentcore/providers")).json.providers[0].credential_provider_arn;
  const made = await consoleCall("/harnesses", {
    harnessName: "seed_mistake",
    executionRoleArn: ROLE,
    model: { liteLlmModelConfig: { modelId: "claude-haiku", apiKeyArn: arn, apiBase: stack.gatewayUrl } },
  });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  await page.getByTestId("ac-refresh").click();
  const row = harnessRow("seed_mistake");
  await row.waitFor();
  assert.match(await row.getByTestId("harness-model-id").innerText(), /claude-haiku\s+lacks litellm_proxy\//);
  await row.getByTestId("harness-doctor-run").click();
  const report = page.getByTestId("details-doctor-report");
  await report.waitFor();
  assert.match(await report.locator("[data-testid=finding][data-check=model_prefix]").innerText(), /litellm_proxy\/claude-haiku/);
  await shot("15-bare-model-doctor");
  await page.getByTestId("details-play").click();
  await page.getByTestId("hp-prefix-warning").waitFor();
  await page.getByTestId("hp-input").fill("Hello");
  await page.getByTestId("hp-send").click();
  const err = page.getByTestId("hp-error");
  await err.waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("hp-error-message").innerText(), /LLM Provider NOT provided/);
  assert.match(await page.getByTestId("hp-error-fix").innerText(), /litellm_proxy\//);
  await shot("16-playground-llm-provider-not-provided");

  // The fix: one click sends litellm_proxy/claude-haiku.
  await page.getByTestId("hp-switch").click();
  await page.getByTestId("switch-anyway").click();
  await page.getByTestId("hp-model-id").getByText("litellm_proxy/claude-haiku").waitFor();
  await page.getByTestId("hp-prefix-warning").waitFor({ state: "detached" });
  await page.getByTestId("hp-input").fill("Hello again");
  await page.getByTestId("hp-send").click();
  const ok = page.locator("[data-testid=hp-turn][data-streaming=false]").nth(1);
  await ok.waitFor({ timeout: 30_000 });
  assert.equal(await ok.getByTestId("hp-text").innerText(), "Hello from fake-bedrock! You said: Hello again");
  await shot("17-bare-model-fixed");

  // Deleted from its details, after a confirmation.
  await tab("resources");
  await harnessRow("seed_mistake").locator("td").first().click();
  await page.getByTestId("details-delete").click();
  await page.getByTestId("confirm-dialog").getByText(/credential provider and the key stay/).waitFor();
  await page.getByTestId("confirm-button").click();
  await page.waitForFunction(() => {
    const row = document.querySelector('[data-testid=harness-row][data-name="seed_mistake"]');
    return !row || row.getAttribute("data-status") === "DELETING";
  });
});

test("credential providers: from a pasted key (never shown back), rotated to a generated key, AWS's refusal explained, from a secret of yours", async () => {
  const teamId = (await api(stack.gatewayUrl, "GET", "/team/list")).json.find((t) => t.team_alias === "agentcore-harness").team_id;
  const gen = await api(stack.gatewayUrl, "POST", "/key/generate", { team_id: teamId, key_alias: "pasted-key" });
  assert.equal(gen.status, 200);
  clearKeys.push(gen.json.key);
  await tab("resources");

  await page.getByTestId("provider-new").click();
  await page.getByTestId("provider-name").fill("pasted-proxy");
  await page.getByTestId("provider-source-paste").check();
  await page.getByTestId("provider-key-input").fill(gen.json.key);
  assert.equal(await page.getByTestId("provider-key-input").getAttribute("type"), "password");
  await shot("18-provider-paste");
  await page.getByTestId("provider-save").click();
  await page.getByTestId("provider-dialog").waitFor({ state: "detached" });
  await page.getByTestId("toast").getByText("Provider pasted-proxy holds key pasted-key").waitFor();
  assert.match(await providerRow("pasted-proxy").getByTestId("provider-key").innerText(), /holds key pasted-key/);
  await assertNoSecretsShown();

  // Rotate: a new key generated for the team in the same step.
  await providerRow("pasted-proxy").getByTestId("provider-rotate").click();
  assert.equal(await page.getByTestId("provider-key-alias").inputValue(), "pasted-key-2");
  assert.equal(await page.getByTestId("provider-team").locator("option:checked").innerText(), "agentcore-harness");
  await page.getByTestId("provider-save").click();
  await page.getByTestId("toast").getByText("Provider pasted-proxy holds key pasted-key-2 (was pasted-key)").waitFor();
  await providerRow("pasted-proxy").getByText("holds key pasted-key-2").waitFor();

  // AgentCore refuses a name that exists: the service's message and what to do.
  await page.getByTestId("provider-new").click();
  await page.getByTestId("provider-name").fill("litellm-proxy");
  await page.getByTestId("provider-key-alias").fill("conflict-key");
  await page.getByTestId("provider-save").click();
  const e = page.getByTestId("provider-error");
  await e.waitFor();
  assert.match(await page.getByTestId("provider-error-message").innerText(), /ConflictException/);
  assert.match(await page.getByTestId("provider-error-fix").innerText(), /another name/);
  await shot("19-provider-conflict");
  await page.keyboard.press("Escape");

  // From a Secrets Manager secret of yours holding a key of this gateway: the provider reads it there.
  const vault = await api(stack.gatewayUrl, "POST", "/key/generate", { team_id: teamId, key_alias: "vault-key" });
  clearKeys.push(vault.json.key);
  const created = await secretsManager("CreateSecret", { Name: "harness/gateway-key", SecretString: JSON.stringify({ api_key: vault.json.key }) });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  await page.getByTestId("provider-new").click();
  await page.getByTestId("provider-name").fill("vault-proxy");
  await page.getByTestId("provider-source-secret").check();
  await page.getByTestId("provider-secret-id").fill("harness/missing-key");
  await page.getByTestId("provider-save").click();
  await page.getByTestId("provider-error").waitFor();
  assert.match(await page.getByTestId("provider-error-message").innerText(), /ResourceNotFound|can.t find|not found/i);
  assert.match(await page.getByTestId("provider-error").innerText(), /Not found in Secrets Manager/);
  assert.match(await page.getByTestId("provider-error-fix").innerText(), /us-east-1/);
  await modalShot("19b-provider-secret-missing");
  await page.getByTestId("provider-secret-id").fill("harness/gateway-key");
  await modalShot("19c-provider-secret");
  await page.getByTestId("provider-save").click();
  await page.getByTestId("provider-dialog").waitFor({ state: "detached" });
  await providerRow("vault-proxy").getByTestId("provider-key-secret").getByText("harness/gateway-key").waitFor();
  assert.match(await providerRow("vault-proxy").getByTestId("provider-key").innerText(), /holds key vault-key/);
  await assertNoSecretsShown();

  // A provider created in the console holds a key this gateway never stored.
  const c = await consoleCall("/identities/CreateApiKeyCredentialProvider", { name: "from-console", apiKey: "sk-typed-in-the-console" });
  assert.equal(c.status, 201);
  await page.getByTestId("ac-refresh").click();
  await providerRow("from-console").getByText("holds a key this gateway didn't store").waitFor();
  await shot("20-providers");
  await providerRow("from-console").getByTestId("provider-delete").click();
  await page.getByTestId("confirm-button").click();
  await providerRow("from-console").waitFor({ state: "detached" });
});

test("a failing wiring: AccessDenied at CreateHarness, earlier steps done, the last not started", async () => {
  await tab("wire");
  await page.getByTestId("wf-name").fill("denied_harness");
  await page.getByTestId("wf-role").fill(DENIED_ROLE);
  await page.getByTestId("wire-run").click();
  await page.getByTestId("wire-force").click();
  await page.locator("[data-testid=wire-summary][data-ok=false]").waitFor({ timeout: 60_000 });
  await page.locator("[data-testid=wire-step][data-step=harness][data-status=failed]").waitFor();
  assert.deepEqual(await stepStatuses(), ["preflight:done", "team:done", "key:done", "provider:done", "harness:failed", "ready:not_started"]);
  const failed = page.locator("[data-testid=wire-step][data-step=harness]");
  assert.match(await failed.innerText(), /AccessDeniedException/);
  assert.match(await failed.getByTestId("wire-step-message").innerText(), /iam:PassRole/);
  assert.match(await failed.getByTestId("wire-step-fix").innerText(), /iam:PassRole on the execution role/);
  const message = await page.getByTestId("wire-summary-message").innerText();
  assert.match(message, /^Stopped at "Harness with model source LiteLLM": AccessDeniedException/);
  assert.match(message, /Done before it: /);
  assert.match(message, /Not started: Harness READY\.$/);
  assert.equal(await page.getByTestId("wire-force").count(), 0, "no 'anyway' for an AWS refusal");
  await shot("21-wire-failed-access-denied");
  await tab("resources");
  assert.equal(await harnessRow("denied_harness").count(), 0);
});

test("no AWS secret and no clear key in the page or the gateway's log", async () => {
  await assertNoSecretsShown();
  assert.ok(!stack.logs.gateway.includes(AWS_SECRET), "the AWS secret is not logged");
  for (const k of [...clearKeys, "sk-typed-in-the-console"]) assert.ok(!stack.logs.gateway.includes(k), "a clear key is not logged");
});
