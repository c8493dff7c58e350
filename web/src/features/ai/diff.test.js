import { describe, expect, it } from 'vitest';
import { diffStats, lineDiff, splitLines, withContext } from './diff.js';

const kinds = (lines) => lines.map((l) => `${{ same: ' ', added: '+', removed: '-' }[l.kind]}${l.text}`);

// The length of a longest common subsequence, by the textbook recursion (small inputs only).
function lcsLength(a, b) {
  const memo = new Map();
  const go = (i, j) => {
    if (i === a.length || j === b.length) return 0;
    const key = `${i},${j}`;
    if (!memo.has(key)) memo.set(key, a[i] === b[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1)));
    return memo.get(key);
  };
  return go(0, 0);
}

// A random small text over a few distinct lines, so that lines repeat.
function randomText(random, maxLines) {
  const n = Math.floor(random() * (maxLines + 1));
  return Array.from({ length: n }, () => 'abcd'[Math.floor(random() * 4)]).join('\n');
}

function seeded(seed) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('splitLines', () => {
  it('splits on any line ending and ignores one final newline', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines(null)).toEqual([]);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a\r\nb\rc\n\n')).toEqual(['a', 'b', 'c', '']);
  });
});

describe('lineDiff', () => {
  it('keeps identical texts as unchanged lines, numbered on both sides', () => {
    const lines = lineDiff('one\ntwo', 'one\ntwo\n');
    expect(lines).toEqual([
      { kind: 'same', text: 'one', a: 1, b: 1 },
      { kind: 'same', text: 'two', a: 2, b: 2 },
    ]);
    expect(diffStats(lines)).toEqual({ added: 0, removed: 0, same: 2 });
  });

  it('adds everything from nothing, and removes everything to nothing', () => {
    expect(kinds(lineDiff('', 'a\nb'))).toEqual(['+a', '+b']);
    expect(kinds(lineDiff('a\nb', ''))).toEqual(['-a', '-b']);
    expect(lineDiff('', '')).toEqual([]);
  });

  it('shows a changed line as removed then added, with the line numbers of each side', () => {
    const lines = lineDiff('Hello {{name}}\nYour plan: {{plan}}\nBye', 'Hello {{name}}\nYour plan: {{plan}} ({{seats}} seats)\nBye');
    expect(kinds(lines)).toEqual([' Hello {{name}}', '-Your plan: {{plan}}', '+Your plan: {{plan}} ({{seats}} seats)', ' Bye']);
    expect(lines[1]).toMatchObject({ a: 2, b: null });
    expect(lines[2]).toMatchObject({ a: null, b: 2 });
    expect(lines[3]).toMatchObject({ a: 3, b: 3 });
  });

  it('finds a longest common subsequence, not just a common prefix and suffix', () => {
    // The classic example: ABCABBA -> CBABAC has an LCS of 4 lines.
    const a = 'A\nB\nC\nA\nB\nB\nA';
    const b = 'C\nB\nA\nB\nA\nC';
    const lines = lineDiff(a, b);
    expect(diffStats(lines)).toEqual({ added: 2, removed: 3, same: 4 });
    // Moved lines: one side's order is kept, the other shows as removed and added.
    expect(diffStats(lineDiff('x\ny\nz', 'z\nx\ny'))).toEqual({ added: 1, removed: 1, same: 2 });
  });

  it('on any pair of texts, rebuilds both sides and keeps as many lines as possible', () => {
    const random = seeded(42);
    for (let round = 0; round < 300; round++) {
      const a = randomText(random, 9);
      const b = randomText(random, 9);
      const lines = lineDiff(a, b);
      expect(lines.filter((l) => l.kind !== 'added').map((l) => l.text)).toEqual(splitLines(a));
      expect(lines.filter((l) => l.kind !== 'removed').map((l) => l.text)).toEqual(splitLines(b));
      expect(diffStats(lines).same).toBe(lcsLength(splitLines(a), splitLines(b)));
      // Numbers count up on each side.
      expect(lines.filter((l) => l.a).map((l) => l.a)).toEqual(splitLines(a).map((_, i) => i + 1));
      expect(lines.filter((l) => l.b).map((l) => l.b)).toEqual(splitLines(b).map((_, i) => i + 1));
    }
  });

  it('past its size limit, shows the changed middle whole and says the diff is approximate', () => {
    const a = ['head', 'x1', 'x2', 'x3', 'tail'].join('\n');
    const b = ['head', 'x2', 'y', 'tail'].join('\n');
    const exact = lineDiff(a, b);
    expect(exact.approximate).toBeUndefined();
    expect(diffStats(exact)).toEqual({ added: 1, removed: 2, same: 3 });
    const rough = lineDiff(a, b, { maxCells: 4 });
    expect(rough.approximate).toBe(true);
    expect(kinds(rough)).toEqual([' head', '-x1', '-x2', '-x3', '+x2', '+y', ' tail']);
    // Only additions (or only removals) need no table: exact at any size.
    expect(lineDiff('a\nc', 'a\nb\nc', { maxCells: 1 }).approximate).toBeUndefined();
  });

  it('handles a long template quickly', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[1500] = 'changed';
    b.splice(10, 0, 'inserted');
    const started = Date.now();
    const stats = diffStats(lineDiff(a.join('\n'), b.join('\n')));
    expect(stats).toEqual({ added: 2, removed: 1, same: 2999 });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('withContext', () => {
  it('folds unchanged runs longer than the context around each change', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const b = a.replace('l10', 'L10');
    const shown = withContext(lineDiff(a, b), 2);
    expect(shown[0]).toMatchObject({ kind: 'skip', count: 8 });
    expect(shown[0].lines.map((l) => l.text)).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']);
    expect(shown.slice(1, 7).map((l) => `${l.kind}:${l.text}`)).toEqual(['same:l8', 'same:l9', 'removed:l10', 'added:L10', 'same:l11', 'same:l12']);
    expect(shown[7]).toMatchObject({ kind: 'skip', count: 7 });
    // A single hidden line is shown instead.
    expect(withContext(lineDiff('a\nb\nc\nd', 'a\nb\nc\nD'), 2).every((l) => l.kind !== 'skip')).toBe(true);
  });
});
