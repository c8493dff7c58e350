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
