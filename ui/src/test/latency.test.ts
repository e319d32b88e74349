import { describe, expect, it } from "vitest";
import type { LatencyReport } from "../lib/api.gen";
import { deploymentRows, formatErrorRate, isHighErrorRate, latencyChart, modelsByTraffic, slotLabel, slotsOf } from "../lib/latency";

const now = new Date("2026-03-10T12:34:56.000Z");

const report: LatencyReport = {
  since: "2026-03-09T12:34:56.000Z",
  hours: 24,
  bucket: "hour",
  truncated: false,
  models: [
    {
      model_group: "small",
      requests: 1,
      errors: 0,
      buckets: [{ start: "2026-03-10T12:00:00Z", requests: 1, errors: 0, latency_p50_ms: 80, latency_p95_ms: 80, latency_p99_ms: 80 }],
    },
    {
      model_group: "big",
      requests: 5,
      errors: 1,
      buckets: [
        { start: "2026-03-10T09:00:00Z", requests: 2, errors: 0, latency_p50_ms: 100, latency_p95_ms: 300, latency_p99_ms: 300, ttft_p50_ms: 40, ttft_p95_ms: 90 },
        { start: "2026-03-10T11:00:00Z", requests: 3, errors: 1, latency_p50_ms: 200, latency_p95_ms: 900, latency_p99_ms: 900, ttft_p50_ms: null, ttft_p95_ms: null },
      ],
    },
  ],
  deployments: [
    { model_id: "b", model: "openai/big", provider: "openai", model_group: "big", requests: 4, errors: 0, error_rate: 0 },
    { model_id: "a", model: "openai/big", provider: "openai", model_group: "big", requests: 1, errors: 1, error_rate: 1 },
    { model_id: "s", model: "openai/small", provider: "openai", model_group: "small", requests: 1, errors: 0, error_rate: 0 },
  ],
};

describe("slots", () => {
  it("cover the window hour by hour up to the current hour", () => {
    const slots = slotsOf(24, "hour", now);
    expect(slots).toHaveLength(25);
    expect(slots[0]).toBe("2026-03-09T12:00:00Z");
    expect(slots.at(-1)).toBe("2026-03-10T12:00:00Z");
  });
  it("or day by day", () => {
    expect(slotsOf(72, "day", now)).toEqual(["2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"]);
  });
  it("are labelled by hour within a day, by day and hour beyond", () => {
    expect(slotLabel("2026-03-10T09:00:00Z", 24)).toBe("09:00");
    expect(slotLabel("2026-03-10T09:00:00Z", 168)).toBe("03-10 09h");
  });
});

describe("latencyChart", () => {
  it("puts each bucket in its slot and leaves the others empty", () => {
    const chart = latencyChart(report.models[1], 24, "hour", now);
    const p95 = chart.series.find((s) => s.key === "latency_p95")!;
    const at = (iso: string) => chart.slots.indexOf(iso);
    expect(p95.values[at("2026-03-10T09:00:00Z")]).toBe(300);
    expect(p95.values[at("2026-03-10T10:00:00Z")]).toBeNull();
    expect(p95.values[at("2026-03-10T11:00:00Z")]).toBe(900);
    expect(chart.max).toBe(900);
    expect(chart.series.map((s) => s.key)).toEqual(["latency_p50", "latency_p95", "ttft_p50", "ttft_p95"]);
  });
  it("drops the series without any value (no streamed calls, no TTFT)", () => {
    const chart = latencyChart(report.models[0], 24, "hour", now);
    expect(chart.series.map((s) => s.key)).toEqual(["latency_p50", "latency_p95"]);
  });
  it("is empty without a model", () => {
    const chart = latencyChart(undefined, 24, "hour", now);
    expect(chart.series).toEqual([]);
    expect(chart.max).toBe(0);
  });
});

describe("tables", () => {
  it("list models the busiest first", () => {
    expect(modelsByTraffic(report).map((m) => m.model_group)).toEqual(["big", "small"]);
    expect(modelsByTraffic(undefined)).toEqual([]);
  });
  it("list a model's deployments, the most failing first", () => {
    expect(deploymentRows(report, "big").map((d) => d.model_id)).toEqual(["a", "b"]);
    expect(deploymentRows(report, null)).toHaveLength(3);
  });
  it.each([
    [0, "0 %"],
    [0.0625, "6.3 %"],
    [0.05, "5 %"],
    [0.004, "0.4 %"],
    [0.5, "50 %"],
    [1, "100 %"],
    [NaN, "—"],
  ])("error rate %s → %s", (r, s) => expect(formatErrorRate(r)).toBe(s));
  it("highlights error rates above 5 %", () => {
    expect(isHighErrorRate(0.05)).toBe(false);
    expect(isHighErrorRate(0.051)).toBe(true);
  });
});
