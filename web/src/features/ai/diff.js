// A line diff between two texts, by longest common subsequence (LCS): the lines both keep,
// in order, are as many as possible; the rest of the old text is "removed", the rest of the
// new text "added" (within a change, removed lines come before added ones).
//
// lineDiff(a, b) -> [{ kind: 'same' | 'removed' | 'added', text, a: line in a | null, b: line in b | null }]
// (line numbers from 1). The lines common to both ends are set aside first, so the table is
// only as big as the part that changed; past `maxCells` it gives up on a minimal answer and
// shows the changed part as removed then added (still a correct diff, marked `approximate`).

export function splitLines(text) {
  if (text === null || text === undefined || text === '') return [];
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  // "a\n" is one line, not a line and an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export const defaultMaxCells = 4_000_000;

export function lineDiff(oldText, newText, { maxCells = defaultMaxCells } = {}) {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }

  const out = [];
  const same = (i, j) => out.push({ kind: 'same', text: a[i], a: i + 1, b: j + 1 });
  const removed = (i) => out.push({ kind: 'removed', text: a[i], a: i + 1, b: null });
  const added = (j) => out.push({ kind: 'added', text: b[j], a: null, b: j + 1 });

  for (let i = 0; i < start; i++) same(i, i);

  const n = endA - start;
  const m = endB - start;
  let approximate = false;
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= maxCells) {
    // lcs[i][j]: the LCS length of a[start+i ..endA) and b[start+j ..endB), in one flat array.
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        same(start + i, start + j);
        i++;
        j++;
      } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
        removed(start + i);
        i++;
      } else {
        added(start + j);
        j++;
      }
    }
    for (; i < n; i++) removed(start + i);
    for (; j < m; j++) added(start + j);
  } else {
    approximate = n > 0 && m > 0;
    for (let i = start; i < endA; i++) removed(i);
    for (let j = start; j < endB; j++) added(j);
  }

  for (let k = 0; k < a.length - endA; k++) same(endA + k, endB + k);
  if (approximate) out.approximate = true;
  return out;
}

export function diffStats(lines) {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'added') added++;
    else if (line.kind === 'removed') removed++;
  }
  return { added, removed, same: lines.length - added - removed };
}

// What to show: every changed line with `context` unchanged lines around it; longer unchanged
// runs become { kind: 'skip', count, lines } (the lines hidden there, to expand on demand).
export function withContext(lines, context = 3) {
  const near = new Array(lines.length).fill(false);
  lines.forEach((line, index) => {
    if (line.kind === 'same') return;
    for (let k = Math.max(0, index - context); k <= Math.min(lines.length - 1, index + context); k++) near[k] = true;
  });
  const out = [];
  let hidden = [];
  const flush = () => {
    // Hiding one line saves nothing: show it.
    if (hidden.length === 1) out.push(hidden[0]);
    else if (hidden.length > 1) out.push({ kind: 'skip', count: hidden.length, lines: hidden });
    hidden = [];
  };
  lines.forEach((line, index) => {
    if (line.kind !== 'same' || near[index]) {
      flush();
      out.push(line);
    } else hidden.push(line);
  });
  flush();
  return out;
}
