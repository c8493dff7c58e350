// Pure helpers of the Requirements page.

// The text cut into plain and highlighted pieces. Spans are code points (what the server
// answers), so the text is indexed by code point, not by UTF-16 unit; a span that overlaps an
// earlier one is left out of the highlighting (it is still listed under the requirement).
export function highlightPieces(text, ambiguities) {
  const chars = Array.from(text);
  const spans = [...(ambiguities ?? [])].sort((a, b) => a.start - b.start || b.end - a.end);
  const pieces = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at || span.end > chars.length || span.end <= span.start) continue;
    if (span.start > at) pieces.push({ text: chars.slice(at, span.start).join('') });
    pieces.push({ text: chars.slice(span.start, span.end).join(''), ambiguity: span });
    at = span.end;
  }
  if (at < chars.length) pieces.push({ text: chars.slice(at).join('') });
  return pieces;
}

export const kindLabel = (item) => (item.kind === 'functional' ? 'Functional' : `Non-functional: ${item.category}`);

export const typeLabel = (type) => type.replaceAll('_', ' ');

export const percent = (value) => `${Math.round(value * 100)}%`;

export const moscowLabels = { must: 'Must', should: 'Should', could: 'Could', wont: "Won't" };

// RICE's score as the server computes it: reach × impact × confidence / effort, two decimals.
export const riceScore = ({ reach, impact, confidence, effort }) => Math.round((reach * impact * confidence) / effort * 100) / 100;

export const impactSteps = [0.25, 0.5, 1, 2, 3];

// The values of a priority form that differ from the stored priority, as numbers: what a PATCH
// sends (a person's values). `errors` names each field that is not a valid value.
export function priorityChanges(form, stored) {
  const values = {};
  const errors = {};
  const ranges = { reach: [0, 1e9], confidence: [0.01, 1], effort: [0.01, 1000] };
  for (const [key, [min, max]] of Object.entries(ranges)) {
    const text = String(form[key] ?? '').trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n < min || n > max) errors[key] = `must be a number from ${min} to ${max}`;
    else if (n !== stored[key]) values[key] = n;
  }
  const impact = Number(form.impact);
  if (!impactSteps.includes(impact)) errors.impact = 'must be one of 0.25, 0.5, 1, 2, 3';
  else if (impact !== stored.impact) values.impact = impact;
  if (!(form.moscow in moscowLabels)) errors.moscow = 'must be must, should, could or wont';
  else if (form.moscow !== stored.moscow) values.moscow = form.moscow;
  return { values, errors };
}

export const maxDocumentBytes = 1024 * 1024;

// An uploaded document's text, or why it cannot be analysed: plain text or Markdown in UTF-8,
// up to the server's 1 MiB. A PDF or Word file reads as binary (NUL bytes, invalid UTF-8).
export async function readDocumentFile(file) {
  if (file.size > maxDocumentBytes) return { error: `${file.name} is over 1 MiB: split it or paste a part` };
  const text = await file.text();
  if (text.includes('\u0000') || text.includes('\uFFFD')) {
    return { error: `${file.name} is not plain text or Markdown: save it as text first` };
  }
  if (!text.trim()) return { error: `${file.name} is empty` };
  return { text };
}
