/**
 * Reading and checking the runnable examples of a Markdown page: the `sh`
 * and `console` blocks, as docs/development.md ("The docs' examples")
 * describes them. This file parses and matches; examples.test.ts runs.
 */

/** One command of a page, with the output the page shows for it. */
export interface Example {
  /** `sh` (each `# ` line under a command is its output) or `console` (`$ ` prompts). */
  kind: 'sh' | 'console';
  command: string;
  /** The output as shown, one entry per line (`sh`: continuation lines joined). */
  expected: string[];
  /** Where it stands, for failure messages. */
  where: string;
}

const FENCE = /^( *)```(\w*)\s*$/;

/** The runnable examples of a page, in order. */
export function examples(markdown: string, file: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const indent = open[1] as string;
    const lang = open[2] as string;
    const body: string[] = [];
    const start = i + 1;
    for (i++; i < lines.length && (lines[i] as string).trimEnd() !== `${indent}\`\`\``; i++) {
      body.push((lines[i] as string).slice(indent.length));
    }
    if (lang === 'sh') out.push(...shExamples(body, `${file}:${start + 1}`));
    if (lang === 'console') out.push(...consoleExamples(body, `${file}:${start + 1}`));
  }
  return out;
}

function shExamples(body: string[], where: string): Example[] {
  const out: Example[] = [];
  let current: Example | undefined;
  for (let i = 0; i < body.length; i++) {
    const line = body[i] as string;
    if (line.startsWith('#  ') && current && current.expected.length > 0) {
      current.expected[current.expected.length - 1] += line.slice(3).trimStart();
    } else if (line.startsWith('# ') && current) {
      current.expected.push(line.slice(2));
    } else if (line.trim() !== '') {
      let command = line;
      while (command.endsWith('\\') && i + 1 < body.length) command = `${command.slice(0, -1)}${body[++i]}`;
      current = { kind: 'sh', command: command.trim(), expected: [], where };
      out.push(current);
    }
  }
  return out;
}

function consoleExamples(body: string[], where: string): Example[] {
  const out: Example[] = [];
  for (const line of body) {
    if (line.startsWith('$ ')) out.push({ kind: 'console', command: line.slice(2), expected: [], where });
    else out.at(-1)?.expected.push(line);
  }
  return out;
}

/**
 * What stands for a value that differs from run to run: the docs show one,
 * the run has another. Each class matches only its own kind of value.
 */
const TOKEN_CLASSES: RegExp[] = [
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, // UUIDs: access tokens, sessions
  /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/, // ISO times
  /(?<![\w.])1\d{12}(?!\d)/, // epoch ms
  /(?<=")[A-Za-z0-9+/]{27}(?=")/, // opaque tickets
  /(?<=")[A-Za-z0-9_-]{43}(?=")/, // generated keys
  /(?<![\w-])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?![\w-])/, // profile ids, id prefixes, hex suffixes
];

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every value the docs show that a run has bound with the run's value. */
export function substitute(text: string, bindings: Map<string, string>): string {
  const keys = [...bindings.keys()].sort((a, b) => b.length - a.length);
  if (keys.length === 0) return text;
  const re = new RegExp(keys.map(escapeRegex).join('|'), 'g');
  return text.replace(re, (k) => bindings.get(k) as string);
}

/**
 * Whether `actual` is what `expected` shows: equal but for `...` (anything)
 * and the run-dependent values of TOKEN_CLASSES, which match a value of
 * their class and bind it (new bindings are added to `bindings`).
 */
export function matches(expected: string, actual: string, bindings: Map<string, string>): boolean {
  const text = substitute(expected, bindings);
  const combined = new RegExp(TOKEN_CLASSES.map((r) => `(${r.source})`).join('|'), 'g');
  let pattern = '';
  const names: string[] = [];
  let last = 0;
  for (const m of text.matchAll(combined)) {
    pattern += literal(text.slice(last, m.index));
    const cls = TOKEN_CLASSES.findIndex((_, k) => m[k + 1] !== undefined);
    const known = [...bindings.values()].includes(m[0]);
    if (known) pattern += escapeRegex(m[0]);
    else {
      names.push(m[0]);
      pattern += `(${(TOKEN_CLASSES[cls] as RegExp).source})`;
    }
    last = (m.index ?? 0) + m[0].length;
  }
  pattern += literal(text.slice(last));
  const found = new RegExp(`^${pattern}$`, 's').exec(actual);
  if (!found) return false;
  names.forEach((name, k) => {
    const value = found[k + 1] as string;
    if (!bindings.has(name)) bindings.set(name, value);
  });
  return true;
}

/** Literal text of an expected output, where `...` stands for anything. */
function literal(s: string): string {
  return s.split('...').map(escapeRegex).join('.*?');
}

/** Whether the lines shown appear in order among `actual` lines; a line `...` skips any number. */
export function matchLines(expected: string[], actual: string[], bindings: Map<string, string>): boolean {
  const go = (e: number, a: number, b: Map<string, string>): Map<string, string> | null => {
    if (e === expected.length) return a === actual.length ? b : null;
    if (expected[e] === '...') {
      for (let k = a; k <= actual.length; k++) {
        const found = go(e + 1, k, b);
        if (found) return found;
      }
      return null;
    }
    if (a === actual.length) return null;
    const trial = new Map(b);
    return matches(expected[e] as string, actual[a] as string, trial) ? go(e + 1, a + 1, trial) : null;
  };
  const found = go(0, 0, bindings);
  for (const [k, v] of found ?? []) bindings.set(k, v);
  return found !== null;
}
