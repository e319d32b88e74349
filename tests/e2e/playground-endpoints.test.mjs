// The playground on Anthropic's Messages API, in headless Chromium against `switchboard serve`
// and the fake Bedrock: pick the endpoint, stream a turn, read its raw exchange (key masked),
// get the code; an error turn in Anthropic's shape; the Overview's Claude Code snippet. Then
// OpenAI's Responses (a streamed turn at the fake OpenAI) and Embeddings (embed-small).
// Screenshots go to target/e2e-screenshots/ (SWITCHBOARD_SCREENSHOTS to change).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { MASTER_KEY, screenshotDir, signedInPage, startStack } from "./harness.mjs";

let stack;
let context;
let page;

async function shot(name, locator) {
  const file = path.join(screenshotDir, `${name}.png`);
  if (locator) await locator.screenshot({ path: file });
  else await page.screenshot({ path: file });
}

before(async () => {
  stack = await startStack({ openaiModels: true });
  ({ context, page } = await signedInPage(stack, { permissions: ["clipboard-read", "clipboard-write"] }));
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

/** Turns that have finished, in a pane. */
const done = () => page.locator("[data-testid=msg-assistant][data-streaming=false]");

test("playground: a Responses turn, streamed, the whole conversation each turn; Get code; an error", async () => {
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-endpoint").selectOption("responses");
  await page.getByTestId("pg-model-0").selectOption("gpt-4o-mini");
  await page.getByTestId("pg-input").fill("Hello there");
  await page.getByTestId("pg-input").press("Enter");
  await done().first().waitFor();
  await page.getByTestId("pg-input").fill("Once more");
  await page.getByTestId("pg-input").press("Enter");
  const turn = done().nth(1);
  await turn.waitFor();
  assert.match(await turn.getByTestId("msg-content").innerText(), /Hello from fake-openai! You said: Once more/);
  assert.match(await turn.getByTestId("msg-metrics").innerText(), /\d+ in · \d+ out/);

  // The second request carries the first exchange as input items, not a previous_response_id.
  await turn.getByTestId("raw-toggle").click();
  assert.match(await turn.getByTestId("raw-note").innerText(), /store: false/);
  const request = await turn.getByTestId("raw-request").innerText();
  assert.match(request, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/responses/);
  assert.match(request, /Authorization: Bearer sk-…ster/);
  assert.match(request, /"instructions": "You are terse."/);
  assert.match(request, /"content": "Hello from fake-openai! You said: Hello there"/);
  assert.match(request, /"store": false/);
  assert.ok(!request.includes("previous_response_id"));
  assert.ok(!request.includes(MASTER_KEY), "the key is masked");
  const response = await turn.getByTestId("raw-response").innerText();
  assert.match(response, /^HTTP 200/);
  assert.match(response, /event: response\.output_text\.delta/);
  assert.match(response, /event: response\.completed/);
  await shot("30-playground-responses-raw", turn);

  await page.getByTestId("pg-get-code").click();
  const dialog = page.getByTestId("code-dialog");
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId("code-tab-openai").getAttribute("aria-selected"), "true");
  assert.match(await dialog.getByTestId("code-snippet").innerText(), /client\.responses\.create\(/);
  await shot("35-get-code-responses");
  await dialog.getByTestId("code-tab-curl").click();
  assert.match(await dialog.getByTestId("code-snippet").innerText(), /\/v1\/responses/);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });

  // A tool round trip: the call comes back as a function_call item, its result goes as a
  // function_call_output item.
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-model-0").selectOption("claude-sonnet");
  await page.getByTestId("pg-tools").check();
  await page.getByTestId("pg-input").fill("What's the weather?");
  await page.getByTestId("pg-send").click();
  await page.getByTestId("tool-send").click();
  const answer = done().nth(1);
  await answer.waitFor();
  assert.match(await answer.innerText(), /The tool said:/);
  await answer.getByTestId("raw-toggle").click();
  const sent = await answer.getByTestId("raw-request").innerText();
  assert.match(sent, /"type": "function_call"/);
  assert.match(sent, /"type": "function_call_output"/);
  await page.getByTestId("pg-tools").uncheck();

  // A model the gateway does not serve: an HTTP error in OpenAI's shape.
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-model-0").selectOption("__other__");
  await page.getByTestId("pg-model-custom-0").fill("no-such-model");
  await page.getByTestId("pg-input").fill("Hi");
  await page.getByTestId("pg-send").click();
  const error = page.getByTestId("msg-error");
  await error.waitFor();
  assert.match(await error.innerText(), /no-such-model/);
  await done().last().getByTestId("raw-toggle").click();
  assert.match(await done().last().getByTestId("raw-response").innerText(), /"error": \{/);
  await shot("31-playground-responses-error");
});

test("playground: an Embeddings turn (the vector's size, not text); the model list; an error", async () => {
  await page.getByTestId("pg-clear").click();
  await page.getByTestId("pg-endpoint").selectOption("embeddings");
  await page.getByTestId("pg-embeddings-note").waitFor();
  assert.equal(await page.getByTestId("pg-system").count(), 0, "chat settings are hidden");
  const select = page.getByTestId("pg-model-0");
  // Embedding models first (/model/info's mode), chat models apart.
  const first = await select.locator("option").first().getAttribute("value");
  assert.equal(first, "embed-small");
  assert.equal(await select.locator("optgroup").getAttribute("label"), "Chat models");
  await select.selectOption("embed-small");
  // The list as a list box, to see it (a native drop-down does not render in a screenshot).
  await select.evaluate((el) => {
    el.setAttribute("size", "7");
    el.style.height = "auto";
  });
  await shot("32-playground-embeddings-models", page.getByTestId("pane-0").locator(".pane-head"));
  await select.evaluate((el) => {
    el.removeAttribute("size");
    el.style.height = "";
  });

  await page.getByTestId("pg-input").fill("The quick brown fox");
  await page.getByTestId("pg-send").click();
  const turn = done().first();
  await turn.waitFor();
  assert.equal(await turn.getByTestId("msg-content").count(), 0, "no chat bubble");
  assert.equal(await turn.getByTestId("embedding-dimensions").innerText(), "8");
  assert.match(await turn.getByTestId("embedding-head").innerText(), /^\[-?\d\.\d{4}, /);
  assert.match(await turn.getByTestId("msg-metrics").innerText(), /\d+ tokens in/);
  await turn.getByTestId("raw-toggle").click();
  const request = await turn.getByTestId("raw-request").innerText();
  assert.match(request, /\/v1\/embeddings/);
  assert.match(request, /"input": "The quick brown fox"/);
  assert.ok(!request.includes('"messages"'));
  assert.match(await turn.getByTestId("raw-response").innerText(), /"object": "embedding"/);
  await shot("33-playground-embeddings-turn");

  // A chat model on /v1/embeddings: the gateway's 400 names it.
  await turn.getByTestId("raw-toggle").click();
  await select.selectOption("claude-haiku");
  await page.getByTestId("pg-input").fill("Embed me");
  await page.getByTestId("pg-send").click();
  const error = page.getByTestId("msg-error");
  await error.waitFor();
  assert.match(await error.innerText(), /claude-haiku/);
  await shot("34-playground-embeddings-error");
  await page.getByTestId("pg-endpoint").selectOption("chat");
});

