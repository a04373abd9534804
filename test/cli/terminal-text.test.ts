// What a command prints from another party's text: control characters (C0, DEL, C1) and bidi
// overrides become visible escapes; ordinary text, including non-ASCII letters, is unchanged.
import { describe, expect, it } from 'vitest';
import { terminalLine, terminalText } from '../../cli/terminal-text.ts';

describe('terminal text', () => {
  it('escapes what could move the cursor, retitle the terminal or reorder the line', () => {
    const hostile = 'a\x1b[2Jb\x1b]0;t\x07c\x9b31md\u202ee\u2066f\x7fg\rh';
    expect(terminalText(hostile)).toBe('a\\u{1b}[2Jb\\u{1b}]0;t\\u{7}c\\u{9b}31md\\u{202e}e\\u{2066}f\\u{7f}g\\u{d}h');
  });

  it('keeps newlines and tabs in a review, not in an error line', () => {
    expect(terminalText('one\n\ttwo')).toBe('one\n\ttwo');
    expect(terminalLine('one\n\ttwo')).toBe('one\\u{a}\\u{9}two');
  });

  it('leaves ordinary text alone', () => {
    const text = 'fleet-1 (eu-west) Zoë “quoted” 日本 ✓';
    expect(terminalText(text)).toBe(text);
    expect(terminalLine(text)).toBe(text);
  });
});
