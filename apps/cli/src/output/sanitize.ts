// What the CLI prints comes partly from nodes (pod statuses, reasons, messages, component keys): a
// node agent, or anyone holding its credential, must not be able to drive the user's terminal with
// escape sequences (retitle it, rewrite lines above, hide text) through `kube9 get` or `describe`.

/** Characters a terminal acts on or that make text display as something else: C0 controls, DEL, C1 controls, bidi overrides. */
const UNSAFE_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** In one table cell, line breaks and tabs also break the layout. */
const UNSAFE_IN_CELL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Shows control characters as \uXXXX text, keeping newlines and tabs: for whole blocks of output. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, visible);
}

/** Shows every control character (newlines too) as \uXXXX text: for one table cell or one-line field. */
export function sanitizeCell(text: string): string {
  return text.replace(UNSAFE_IN_CELL, visible);
}
