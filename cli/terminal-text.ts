/**
 * Text from another party (a draft's fields, a server's error, a file quoted by JSON.parse) made
 * safe to print on a terminal: control characters (C0 but for newline and tab, DEL, C1) and the
 * Unicode bidirectional overrides are shown as \u{..} escapes, so no input can move the cursor,
 * clear or retitle the terminal, or reorder what the reader sees.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, plus newline and tab
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const asEscape = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** `text` with every control and bidi character escaped; newlines and tabs are kept. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, asEscape);
}

/** `text` as one line: newlines and tabs are escaped too. */
export function terminalLine(text: string): string {
  return text.replace(UNSAFE_ONE_LINE, asEscape);
}
