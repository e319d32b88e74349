// The playground on Anthropic's Messages API, in headless Chromium against `switchboard serve`
// and the fake Bedrock: pick the endpoint, stream a turn, read its raw exchange (key masked),
// get the code; an error turn in Anthropic's shape; the Overview's Claude Code snippet.
// Screenshots go to target/e2e-screenshots/ (SWITCHBOARD_SCREENSHOTS to change).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, screenshotDir, startStack } from "./harness.mjs";

let stack;
let context;
let page;

async function shot(name, locator) {
  const file = path.join(screenshotDir, `${name}.png`);
  if (locator) await locator.screenshot({ path: file });
  else await page.screenshot({ path: file });
}

before(async () => {
  stack = await startStack();
  context = await stack.browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(stack.panelUrl).origin });
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

test("overview: the Claude Code and Agents SDK snippets", async () => {
  await page.getByTestId("snippet-tab-claude-code").click();
  const text = await page.getByTestId("snippet").innerText();
  assert.match(text, new RegExp(`export ANTHROPIC_BASE_URL='${stack.gatewayUrl}'`));
  assert.match(text, /export ANTHROPIC_AUTH_TOKEN="\$SWITCHBOARD_API_KEY"/);
  assert.match(text, /export ANTHROPIC_MODEL='claude-(haiku|sonnet)'/);
  await shot("20-overview-claude-code");
  await page.getByTestId("snippet-tab-agents").click();
  assert.match(await page.getByTestId("snippet").innerText(), /OpenAIChatCompletionsModel\(model="claude-/);
  await shot("20b-overview-agents-sdk");
});

test("playground: a Messages turn, streamed; its raw exchange; Get code", async () => {
  await page.getByTestId("nav-playground").click();
  await page.getByTestId("page-playground").waitFor();
  await page.getByTestId("pg-endpoint").selectOption("messages");
  await page.getByTestId("pg-model-0").selectOption("claude-haiku");
  await page.getByTestId("pg-system").fill("You are terse.");
  await page.getByTestId("pg-input").fill("Hello there");
  await page.getByTestId("pg-input").press("Enter");
  const turn = page.locator("[data-testid=msg-assistant][data-streaming=false]").first();
  await turn.waitFor();
  assert.match(await turn.getByTestId("msg-content").innerText(), /Hello from fake-bedrock! You said: Hello there/);
  assert.match(await turn.getByTestId("msg-metrics").innerText(), /\d+ in · \d+ out/);

  // The raw view: the exact request (key masked) and the stream's events.
  await turn.getByTestId("raw-toggle").click();
  const request = await turn.getByTestId("raw-request").innerText();
  assert.match(request, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/messages/);
  assert.match(request, /x-api-key: sk-…ster/);
  assert.match(request, /anthropic-version: 2023-06-01/);
  assert.match(request, /"max_tokens": 1024/);
  assert.match(request, /"system": "You are terse."/);
  assert.ok(!request.includes(MASTER_KEY), "the key is masked");
  const response = await turn.getByTestId("raw-response").innerText();
  assert.match(response, /^HTTP 200/);
  assert.match(response, /x-litellm-model-group: claude-haiku/);
  assert.match(response, /event: message_start/);
  assert.match(response, /event: message_stop/);
  await shot("21-playground-messages-raw");

  // Get code: the anthropic tab first for a Messages conversation; the key from the environment.
  await page.getByTestId("pg-input").fill("And a follow-up");
  await page.getByTestId("pg-get-code").click();
  const dialog = page.getByTestId("code-dialog");
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId("code-tab-anthropic").getAttribute("aria-selected"), "true");
  const code = await dialog.getByTestId("code-snippet").innerText();
  assert.match(code, /anthropic\.Anthropic\(/);
  assert.match(code, /os\.environ\["SWITCHBOARD_API_KEY"\]/);
  assert.match(code, /And a follow-up/);
  assert.ok(!code.includes(MASTER_KEY));
  await shot("22-get-code-anthropic");
  await dialog.getByTestId("code-tab-curl").click();
  assert.match(await dialog.getByTestId("code-snippet").innerText(), /\/v1\/messages/);
  await shot("22b-get-code-curl");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});

test("playground: not streamed, the cost header; a long answer; an error in Anthropic's shape", async () => {
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-stream").uncheck();
  const long = Array.from({ length: 40 }, (_, i) => `sentence ${i + 1} of a long prompt with a_very_long_unbroken_token_${"x".repeat(60)}`).join(" ");
  await page.getByTestId("pg-input").fill(long);
  await page.getByTestId("pg-send").click();
  const turn = page.locator("[data-testid=msg-assistant][data-streaming=false]").first();
  await turn.waitFor();
  assert.match(await turn.getByTestId("msg-content").innerText(), /You said: sentence 1 of a long prompt/);
  assert.match(await turn.getByTestId("msg-cost").innerText(), /^\$/);
  await turn.getByTestId("raw-toggle").click();
  assert.match(await turn.getByTestId("raw-response").innerText(), /x-litellm-response-cost: /);
  await shot("23-playground-long-answer");
  await page.getByTestId("pg-stream").check();

  // A model the gateway does not serve: the 4xx, in Anthropic's error shape, is readable.
  await page.getByTestId("pg-model-0").selectOption("__other__");
  await page.getByTestId("pg-model-custom-0").fill("no-such-model");
  await page.getByTestId("pg-input").fill("Hi");
  await page.getByTestId("pg-send").click();
  const error = page.getByTestId("msg-error");
  await error.waitFor();
  const failed = page.locator("[data-testid=msg-assistant][data-streaming=false]").last();
  await failed.getByTestId("raw-toggle").click();
  assert.match(await failed.getByTestId("raw-response").innerText(), /"type": "error"/);
  assert.match(await error.innerText(), /no-such-model/);
  await shot("24-playground-error");
});

test("playground: a tool call round trip over /v1/messages", async () => {
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-model-0").selectOption("claude-sonnet");
  await page.getByTestId("pg-tools").check();
  await page.getByTestId("pg-input").fill("What's the weather?");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("tool-send").waitFor();
  assert.match(await page.getByTestId("tool-arguments").last().innerText(), /Paris/);
  await page.getByTestId("tool-send").click();
  await page.getByTestId("msg-tool").waitFor();
  const answer = page.locator("[data-testid=msg-assistant][data-streaming=false]").nth(1);
  await answer.waitFor();
  assert.match(await answer.innerText(), /The tool said:/);
  // The result went back as a tool_result block.
  await answer.getByTestId("raw-toggle").click();
  assert.match(await answer.getByTestId("raw-request").innerText(), /"type": "tool_result"/);
  await shot("25-playground-messages-tools");
  await page.getByTestId("pg-tools").uncheck();
});
