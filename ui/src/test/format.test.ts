import { describe, expect, it } from "vitest";
import { budgetRatio, formatCost, formatMs, formatRate, formatRelative, formatSpendBudget, formatTokens, formatUptime, maskKey, shortId } from "../lib/format";

describe("formatCost", () => {
  it.each([
    [0, "$0.00"],
    [0.000123, "$0.000123"],
    [0.0012, "$0.0012"],
    [0.00000005, "<$0.000001"],
    [0.1234, "$0.1234"],
    [0.5, "$0.50"],
    [1.2345, "$1.23"],
    [1234.5, "$1,234.50"],
    [-0.5, "-$0.50"],
  ])("%s → %s", (v, s) => expect(formatCost(v)).toBe(s));
  it("shows a dash for no value", () => {
    expect(formatCost(null)).toBe("—");
    expect(formatCost(NaN)).toBe("—");
  });
  it("pairs spend and budget", () => {
    expect(formatSpendBudget(0.5, 10)).toBe("$0.50 / $10.00");
    expect(formatSpendBudget(0.5, null)).toBe("$0.50");
    expect(budgetRatio(5, 10)).toBe(0.5);
    expect(budgetRatio(5, null)).toBeNull();
    expect(budgetRatio(1, 0)).toBe(1);
  });
});

describe("tokens, times, rates", () => {
  it("formats tokens", () => {
    expect(formatTokens(1234)).toBe("1,234");
    expect(formatTokens(12345, true)).toBe("12.3k");
    expect(formatTokens(1_500_000, true)).toBe("1.5M");
    expect(formatTokens(999, true)).toBe("999");
    expect(formatTokens(undefined)).toBe("—");
  });
  it("formats durations and uptime", () => {
    expect(formatMs(850)).toBe("850 ms");
    expect(formatMs(1234)).toBe("1.23 s");
    expect(formatMs(125_000)).toBe("2 min 5 s");
    expect(formatUptime(42)).toBe("42 s");
    expect(formatUptime(3600 * 3 + 240)).toBe("3 h 4 min");
    expect(formatUptime(86400 * 2 + 3600 * 5)).toBe("2 d 5 h");
    expect(formatRate(45.25)).toBe("45.3 tok/s");
    expect(formatRate(null)).toBe("—");
  });
  it("formats relative times", () => {
    const now = new Date("2026-01-10T12:00:00Z");
    expect(formatRelative("2026-01-10T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-10T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2026-01-13T12:00:00Z", now)).toBe("in 3 d");
    expect(formatRelative(null, now)).toBe("—");
  });
  it("shortens ids and keys", () => {
    expect(shortId("0123456789abcdef", 4, 4)).toBe("0123…cdef");
    expect(shortId("short")).toBe("short");
    expect(maskKey("sk-abcdefghijklmnop")).toBe("sk-abc…mnop");
  });
});
