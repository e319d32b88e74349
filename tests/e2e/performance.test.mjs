// The Performance page end to end: empty before any request, then, after complete, streamed and
// failing calls, a latency chart with real figures and the deployments with their error rates.
// Screenshots go to target/e2e-screenshots/ (perf-*.png).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { api, screenshotDir, signedInPage, startStack } from "./harness.mjs";

const BROKEN = "openai-fake-500-with-a-deliberately-long-model-group-name-for-layout-checks";
let stack;
let context;
let page;

async function shot(name) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Opens the page afresh (from another one: the page loads its report when it opens). */
async function openPerformance() {
  await page.getByTestId("nav-overview").click();
  await page.getByTestId("page-overview").waitFor();
  await page.getByTestId("nav-performance").click();
  await page.getByTestId("page-performance").waitFor();
  await page.locator(".spinner").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => {});
}

async function chat(model, stream) {
  const r = await api(stack.gatewayUrl, "POST", "/v1/chat/completions", { model, stream, messages: [{ role: "user", content: "how fast?" }] });
  return r.status;
}

before(async () => {
  stack = await startStack({ openaiModels: true });
  ({ context, page } = await signedInPage(stack, { viewport: { width: 1280, height: 900 } }));
});

after(async () => {
  await context?.close().catch(() => {});
  if (stack) {
    if (process.env.E2E_SHOW_GATEWAY_LOG) console.log(stack.logs.gateway);
    await stack.stop();
  }
});

test("performance: empty before any request", async () => {
  await openPerformance();
  await page.getByTestId("perf-empty").waitFor();
  assert.match(await page.getByTestId("perf-empty").innerText(), /No requests in this window/);
  await shot("perf-01-empty");
});

test("performance: latency and TTFT per model, error rates per deployment", async () => {
  const added = await api(stack.gatewayUrl, "POST", "/model/new", {
    model_name: BROKEN,
    litellm_params: { model: "openai/fake-500", api_base: stack.upstreams.openai, api_key: "sk-upstream-test", max_retries: 0 },
  });
  assert.equal(added.status, 200, JSON.stringify(added.json));
  for (let i = 0; i < 6; i++) {
    assert.equal(await chat("gpt-4o-mini", false), 200);
    assert.equal(await chat("gpt-4o-mini", true), 200);
    assert.equal(await chat("claude-haiku", i % 2 === 0), 200);
  }
  for (let i = 0; i < 2; i++) assert.ok((await chat(BROKEN, false)) >= 500);

  await openPerformance();
  await page.getByTestId("perf-chart").waitFor();
  // The busiest model is shown first: gpt-4o-mini (12 calls), streamed and not.
  assert.equal(await page.getByTestId("perf-model").inputValue(), "gpt-4o-mini");
  const series = await page.locator("[data-testid=perf-chart] [data-series]").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-series")));
  assert.deepEqual(series, ["latency_p50", "latency_p95", "ttft_p50", "ttft_p95"]);
  // The lines have points (a lone hour shows as a dot) and the axis real milliseconds.
  assert.ok((await page.locator("[data-testid=perf-chart] circle").count()) >= 1);
  const axis = await page.locator("[data-testid=perf-chart] .axis-label").evaluateAll((ts) => ts.map((t) => t.textContent).join(" "));
  assert.match(axis, /\d+ ms/);
  const row = page.getByTestId("perf-deployment").first();
  const cells = await row.locator("td").allInnerTexts();
  assert.match(cells[0], /openai\/gpt-4o-mini/);
  assert.equal(cells[2], "12");
  assert.equal(cells[3], "0 %");
  assert.match(cells[4], /^\d+(\.\d+)? m?s$/);
  await page.locator("[data-testid=perf-chart] svg").hover();
  await shot("perf-02-model");

  // The failing model: its one deployment fails every time, highlighted; no latency line for a model that never answered.
  await page.getByTestId("perf-model").selectOption(BROKEN);
  const failing = page.getByTestId("perf-deployment");
  await failing.first().waitFor();
  assert.equal(await failing.count(), 1);
  assert.equal(await failing.first().getAttribute("class"), "row-danger");
  assert.equal(await failing.first().getByTestId("perf-error-rate").innerText(), "100 %");
  await shot("perf-03-failing");

  // A week's window keeps the choice.
  await page.getByTestId("perf-window").locator("[data-value=\"7d\"]").click();
  await page.getByTestId("perf-deployment").first().waitFor();
  assert.equal(await page.getByTestId("perf-model").inputValue(), BROKEN);
});

test("performance: an error from the gateway is shown, not a blank page", async () => {
  await page.route("**/switchboard/latency*", (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { message: "database is away", type: "internal_server_error", param: null, code: "500" } }) }),
  );
  await openPerformance();
  await page.getByTestId("perf-error").waitFor();
  assert.match(await page.getByTestId("perf-error").innerText(), /database is away/);
  await shot("perf-04-error");
  await page.unroute("**/switchboard/latency*");
});
