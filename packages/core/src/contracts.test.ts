import { describe, expect, it } from "vitest";
import { LIMITS } from "./config.js";
import {
  isValidLabelKey,
  isValidLabelValue,
  isValidName,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  MAX_LABEL_LENGTH,
  NAME_RULE,
  parseConfigFile,
  type Kube9ConfigFile,
} from "./contracts.js";

const PATH = "/home/me/.kube9/config.json";

describe("parseConfigFile", () => {
  const ok: { name: string; text: string; want: Kube9ConfigFile }[] = [
    // what `kube9 up` writes
    {
      name: "server and token",
      text: '{"server": "http://127.0.0.1:7070", "token": "abc"}',
      want: { server: "http://127.0.0.1:7070", token: "abc" },
    },
    // a hand-written file may leave the token out
    { name: "server only", text: '{"server": "http://h:1"}', want: { server: "http://h:1", token: undefined } },
    // an empty object is a valid (if useless) config: the defaults apply
    { name: "empty object", text: "{}", want: { server: undefined, token: undefined } },
    // wrong types are dropped instead of failing, so one bad field does not hide the other
    { name: "non-string fields", text: '{"server": 7070, "token": true}', want: { server: undefined, token: undefined } },
    // "" would otherwise override the default server with nothing
    { name: "empty strings", text: '{"server": "", "token": ""}', want: { server: undefined, token: undefined } },
    // fields we do not know are ignored (forward compatibility)
    { name: "extra fields", text: '{"token": "t", "theme": "dark"}', want: { server: undefined, token: "t" } },
    // surrounding whitespace and a trailing newline from editors are fine JSON
    { name: "whitespace", text: '\n  {"token": "t"}\n', want: { server: undefined, token: "t" } },
  ];
  it.each(ok)("$name", ({ text, want }) => {
    expect(parseConfigFile(text, PATH)).toEqual(want);
  });

  const bad: { name: string; text: string; want: string }[] = [
    // a truncated write
    { name: "broken JSON", text: '{"server": ', want: `${PATH} is not valid JSON (expected {"server": "...", "token": "..."})` },
    // an empty file is not JSON at all
    { name: "empty file", text: "", want: `${PATH} is not valid JSON` },
    // valid JSON but not an object: the fields cannot be read
    { name: "array", text: "[]", want: `${PATH} must hold a JSON object {"server": "...", "token": "..."}` },
    // null is valid JSON and typeof null is "object": must still be rejected
    { name: "null", text: "null", want: `${PATH} must hold a JSON object` },
    // a bare string, e.g. someone saved only the token
    { name: "string", text: '"abc"', want: `${PATH} must hold a JSON object` },
    // a number
    { name: "number", text: "42", want: `${PATH} must hold a JSON object` },
  ];
  it.each(bad)("$name throws", ({ text, want }) => {
    expect(() => parseConfigFile(text, PATH)).toThrow(want);
  });

  it("throws a plain Error, so each caller can wrap it in its own error type", () => {
    // the CLI turns it into a CliError, the API into its own
    expect(() => parseConfigFile("nope", PATH)).toThrow(Error);
  });
});

describe("isValidName", () => {
  const cases: [string, boolean, string][] = [
    ["web", true, "plain lowercase"],
    ["node-1", true, "digits and an inner dash"],
    ["1", true, "a single digit is a name"],
    ["a".repeat(LIMITS.maxNameLength), true, "exactly the maximum length"],
    ["a".repeat(LIMITS.maxNameLength + 1), false, "one over the maximum length"],
    ["", false, "empty"],
    ["Web", false, "upper case"],
    ["-web", false, "leading dash"],
    ["web-", false, "trailing dash"],
    ["web_1", false, "underscore is a label character, not a name character"],
    ["web.1", false, "dots are not allowed in names"],
    ["we b", false, "inner space"],
  ];
  it.each(cases)("%j -> %s (%s)", (name, want) => {
    expect(isValidName(name)).toBe(want);
  });
});

describe("isValidLabelKey", () => {
  const cases: [string, boolean, string][] = [
    ["zone", true, "plain"],
    ["Zone", true, "upper case is allowed in labels"],
    ["app.kubernetes.io/name", true, "dots and a slash, as Kubernetes prefixes"],
    ["disk_type-2", true, "underscore and dash inside"],
    ["a", true, "one character"],
    ["k".repeat(MAX_LABEL_LENGTH), true, "exactly the maximum length"],
    ["k".repeat(MAX_LABEL_LENGTH + 1), false, "one over the maximum length"],
    ["", false, "a key cannot be empty"],
    ["-zone", false, "leading dash"],
    ["zone/", false, "trailing slash"],
    ["zo ne", false, "inner space"],
    ["zone=a", false, "the = belongs to the k=v syntax, not the key"],
  ];
  it.each(cases)("%j -> %s (%s)", (key, want) => {
    expect(isValidLabelKey(key)).toBe(want);
  });
});

describe("isValidLabelValue", () => {
  const cases: [string, boolean, string][] = [
    ["", true, "the empty value is allowed (zone= means zone is set, to nothing)"],
    ["a", true, "one character"],
    ["ssd", true, "plain"],
    ["v1.2_rc-3", true, "dots, underscore and dash inside"],
    ["v".repeat(MAX_LABEL_LENGTH), true, "exactly the maximum length"],
    ["v".repeat(MAX_LABEL_LENGTH + 1), false, "one over the maximum length"],
    ["a/b", false, "slashes are for keys only"],
    [".hidden", false, "leading dot"],
    ["x-", false, "trailing dash"],
    ["a b", false, "inner space"],
  ];
  it.each(cases)("%j -> %s (%s)", (value, want) => {
    expect(isValidLabelValue(value)).toBe(want);
  });
});

describe("rule texts", () => {
  // The texts are shown to users by both the API and the CLI; the numbers in them must be the enforced ones.
  it("name each limit they describe", () => {
    expect(NAME_RULE).toBe('lowercase letters, digits and "-", starting and ending with a letter or digit');
    expect(LABEL_KEY_RULE).toContain(`at most ${MAX_LABEL_LENGTH} `);
    expect(LABEL_VALUE_RULE).toMatch(new RegExp(`^empty or at most ${MAX_LABEL_LENGTH} `));
  });
});
