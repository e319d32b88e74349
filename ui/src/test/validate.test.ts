import { describe, expect, it } from "vitest";
import { normalizeUrl, validateAlias, validateDuration, validateName, validateNumber, validateUrl } from "../lib/validate";

describe("durations", () => {
  it.each(["30s", "30m", "24h", "7d", "2w", "1mo", "99999d"])("accepts %s", (d) => expect(validateDuration(d)).toBeNull());
  it.each(["30", "d", "0d", "1y", "1 d", "-1d", "1.5h", "100000d", "1month"])("refuses %s", (d) => expect(validateDuration(d)).toMatch(/not a duration/));
  it("accepts empty (not set) and named periods only where allowed", () => {
    expect(validateDuration("")).toBeNull();
    expect(validateDuration("monthly")).not.toBeNull();
    expect(validateDuration("monthly", { allowNamed: true })).toBeNull();
    expect(validateDuration("Daily", { allowNamed: true })).toBeNull();
  });
});

describe("names", () => {
  it("accepts harness-style names", () => {
    expect(validateName("agentcore-harness", "Team")).toBeNull();
    expect(validateName("agentcore_harness.v2", "Team")).toBeNull();
  });
  it("refuses spaces, leading punctuation, length and empties when required", () => {
    expect(validateName("my team", "Team")).toMatch(/letters, digits/);
    expect(validateName("-x", "Team")).toMatch(/start with/);
    expect(validateName("a".repeat(65), "Team")).toMatch(/at most 64/);
    expect(validateName("", "Team", { required: true })).toBe("Team is required");
    expect(validateName("", "Team")).toBeNull();
  });
  it("checks model aliases", () => {
    expect(validateAlias("claude-haiku")).toBeNull();
    expect(validateAlias("team/gpt-4o:latest")).toBeNull();
    expect(validateAlias("")).toMatch(/required/);
    expect(validateAlias("litellm_proxy/claude-haiku")).toMatch(/litellm_proxy/);
    expect(validateAlias("a b")).toMatch(/spaces/);
  });
});

describe("numbers and URLs", () => {
  it("checks numbers ≥ 0 and integers", () => {
    expect(validateNumber("")).toBeNull();
    expect(validateNumber("0")).toBeNull();
    expect(validateNumber("10.5")).toBeNull();
    expect(validateNumber("-1", { label: "Budget" })).toBe("Budget must be 0 or more");
    expect(validateNumber("abc")).toMatch(/number/);
    expect(validateNumber("1.5", { integer: true })).toMatch(/whole/);
    expect(validateNumber("0", { min: 1 })).toMatch(/1 or more/);
  });
  it("checks URLs", () => {
    expect(validateUrl("http://127.0.0.1:4000")).toBeNull();
    expect(validateUrl("127.0.0.1:4000")).not.toBeNull();
    expect(validateUrl("ftp://x")).toMatch(/http/);
    expect(validateUrl("")).toMatch(/required/);
    expect(normalizeUrl(" http://h:4000/// ")).toBe("http://h:4000");
  });
});
