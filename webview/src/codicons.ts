// Codicons (@vscode/codicons) drawn as characters: no DOM here, so the unit
// tests can check the table against the font's own.

/**
 * Code points of the codicons drawn in SVG text, where the font's CSS classes
 * cannot reach (test/unit/webview-codicons.test.ts checks them against the
 * font's own table).
 */
export const CODICON_CHARS = {
  "circle-large": 0xebb5,
  "type-hierarchy-sub": 0xebba,
  watch: 0xeb7c,
  inbox: 0xeb09,
  lock: 0xea75,
  question: 0xeb32,
} as const;
