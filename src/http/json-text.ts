/**
 * Scans of JSON text that JSON.parse cannot make: how deep it nests (to
 * refuse deep bodies before any recursive code sees them), and whether a
 * number in it means something JavaScript cannot hold — `1e-400` parses to
 * 0 and `1e400` to Infinity, which as a limit would read "no limit". Both
 * honour strings, in one pass, and are only meaningful for text JSON.parse
 * accepts.
 */

/** Nesting depth of JSON text. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The first number literal that parses to 0 though it is not zero, or to ±Infinity; undefined when none does. */
export function unrepresentableNumber(text: string): string | undefined {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      continue;
    }
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
    let j = i + 1;
    while (j < n && isNumberChar(text.charCodeAt(j))) j++;
    const literal = text.slice(i, j);
    const value = Number(literal);
    const mantissa = literal.split(/[eE]/)[0] as string;
    if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(mantissa))) return literal;
    i = j - 1;
  }
  return undefined;
}

function isNumberChar(c: number): boolean {
  // digits . e E + -
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** The index of the quote that ends the string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d === 0x5c) i++;
    else if (d === 0x22) break;
  }
  return i;
}
