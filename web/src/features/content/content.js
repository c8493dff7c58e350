// The content feature's calls and the pure helpers its page uses (tested in content.test.js).
import { api } from '../../services/api.js';

export const kinds = [
  { value: 'email', label: 'Email' },
  { value: 'social_post', label: 'Social post' },
  { value: 'ad_copy', label: 'Ad copy' },
  { value: 'blog_outline', label: 'Blog outline' },
  { value: 'landing_page', label: 'Landing page' },
];
export const networks = [
  { value: 'x', label: 'X (280 characters)' },
  { value: 'linkedin', label: 'LinkedIn (3,000)' },
  { value: 'instagram', label: 'Instagram (2,200, hashtags)' },
];
export const counts = ['sends', 'opens', 'clicks', 'conversions'];

// The POST /content body from the form's fields: facts one per line, the recipient by kind.
export function contentRequest(form) {
  const body = {
    kind: form.kind,
    brief: {
      product: form.product.trim(),
      audience: form.audience.trim(),
      goal: form.goal.trim(),
      call_to_action: form.callToAction.trim(),
      facts: form.facts.split('\n').map((f) => f.trim()).filter(Boolean),
    },
    variants: Number(form.variants) || 1,
  };
  if (form.kind === 'social_post') body.network = form.network;
  const id = form.recipientId.trim();
  if (id) body[form.recipientKind === 'deal' ? 'deal_id' : 'lead_id'] = id;
  return body;
}

// The fields a variant shows above its body, by kind, with their labels.
export function variantFields(variant) {
  const labelled = [
    ['subject', 'Subject'],
    ['preheader', 'Preheader'],
    ['headline', 'Headline'],
    ['subheadline', 'Subheadline'],
    ['description', 'Description'],
    ['title', 'Title'],
  ];
  return labelled.filter(([key]) => typeof variant[key] === 'string' && variant[key]).map(([key, label]) => ({ key, label, value: variant[key] }));
}

// "2 of 8 checks failed: claims, length" or "All 8 checks passed", hard failures first.
export function checkSummary(checks) {
  const failed = (checks ?? []).filter((c) => !c.passed);
  if (!failed.length) return `All ${checks?.length ?? 0} checks passed`;
  const ordered = [...failed].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'hard' ? -1 : 1));
  return `${failed.length} of ${checks.length} checks failed: ${ordered.map((c) => c.name).join(', ')}`;
}

// The results form (per variant, text inputs) as the POST /content/{id}/results body; an
// error naming the first bad entry, or the rows with something to add.
export function resultsRequest(entries) {
  const results = [];
  for (const [variant, entry] of entries.entries()) {
    const row = { variant };
    let any = false;
    for (const key of counts) {
      const text = String(entry?.[key] ?? '').trim();
      if (!text) continue;
      if (!/^\d+$/.test(text)) return { error: `Variant ${variant + 1}: ${key} must be a whole number` };
      row[key] = Number(text);
      any = any || row[key] > 0;
    }
    if (any) results.push(row);
  }
  if (!results.length) return { error: 'Enter some results first' };
  return { body: { results } };
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;

// "5.0 % (3.8–6.5 %)", or "—" before any send.
export function rateText(rate) {
  if (!rate || rate.value === null || rate.value === undefined) return '—';
  const [low, high] = rate.interval;
  return `${pct(rate.value)} (${(low * 100).toFixed(1)}–${pct(high)})`;
}

export const probabilityText = (p) => `${(p * 100).toFixed(1)} %`;

// The analysis in a sentence, variants numbered from 1 as on the page (the API counts from 0).
export function analysisCaption(analysis) {
  if (!analysis.enough_data) return analysis.reason;
  const leader = analysis.variants[analysis.leader];
  const p = probabilityText(leader.probability_best);
  return analysis.decided
    ? `Variant ${analysis.leader + 1} is best with probability ${p}`
    : `No variant is best with probability 95 % or more yet: variant ${analysis.leader + 1} leads with ${p}`;
}

const list = (text, separator) => text.split(separator).map((s) => s.trim()).filter(Boolean);

// The brand voice as the form edits it (lists as text) and back as the PUT body.
export function voiceForm(voice) {
  return {
    tone: voice.tone ?? 'friendly',
    wordsToUse: (voice.words_to_use ?? []).join(', '),
    wordsToAvoid: (voice.words_to_avoid ?? []).join(', '),
    readingLevel: String(voice.reading_level ?? 8),
    examples: (voice.examples ?? []).join('\n'),
  };
}

export function voiceRequest(form) {
  return {
    tone: form.tone.trim(),
    words_to_use: list(form.wordsToUse, ','),
    words_to_avoid: list(form.wordsToAvoid, ','),
    reading_level: Number(form.readingLevel),
    examples: list(form.examples, '\n'),
  };
}

export const loadVoice = () => api.get('/brand-voice').then((r) => r.data);
export const saveVoice = (form) => api.put('/brand-voice', voiceRequest(form)).then((r) => r.data);
export const generateContent = (form) => api.post('/content', contentRequest(form), { timeout: 120000 }).then((r) => r.data);
export const listContent = () => api.get('/content', { params: { limit: 20 } }).then((r) => r.data);
export const recordResults = (id, body) => api.post(`/content/${id}/results`, body).then((r) => r.data);
export const loadAnalysis = (id) => api.get(`/content/${id}/analysis`).then((r) => r.data);
