// Pure helpers of the AI page: prompt names and variables, the typed values of a test run,
// the field errors of a problem, usage windows and figures.

export const variableTypes = ['string', 'number', 'boolean', 'json'];
export const promptNamePattern = /^[a-z0-9_.-]+$/;
const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

// What is wrong with a prompt name, as the server would say it, or null.
export function promptNameProblem(name) {
  const value = name.trim();
  if (!value) return 'Give the prompt a name, e.g. lead.summary.';
  if (value.length > 100 || !promptNamePattern.test(value)) return "Lowercase letters, digits, '_', '.' and '-', at most 100 characters.";
  return null;
}

export function variableNameProblem(name) {
  const value = name.trim();
  if (!value) return 'Give the variable a name, or remove it.';
  if (!identifier.test(value)) return 'Letters, digits and _, not starting with a digit (at most 64).';
  return null;
}

// The {{name}} placeholders of a template, in order of first use (as the server reads them:
// spaces inside the braces are allowed; anything else between them is literal text).
export function placeholders(template) {
  const names = [];
  for (const match of String(template ?? '').matchAll(/\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}/g)) {
    if (!names.includes(match[1])) names.push(match[1]);
  }
  return names;
}

// A version's variables as [{name, type}] (the API also accepts plain names).
export function normalizeVariables(variables) {
  return (Array.isArray(variables) ? variables : [])
    .map((v) => (typeof v === 'string' ? { name: v, type: 'string' } : { name: v?.name ?? '', type: variableTypes.includes(v?.type) ? v.type : 'string' }))
    .filter((v) => v.name);
}

// The value a test-run input holds, for its type: { value } or { error }.
export function coerceValue(type, raw) {
  if (type === 'boolean') return { value: raw === true || raw === 'true' };
  const text = raw === undefined || raw === null ? '' : String(raw);
  if (type === 'number') {
    if (text.trim() === '') return { error: 'Enter a number.' };
    const n = Number(text);
    return Number.isFinite(n) ? { value: n } : { error: 'Enter a number, e.g. 1200 or 0.5.' };
  }
  if (type === 'json') {
    if (text.trim() === '') return { error: 'Enter a JSON value, e.g. {"plan": "pro"} or [1, 2].' };
    try {
      return { value: JSON.parse(text) };
    } catch (e) {
      return { error: `Not valid JSON: ${e.message}` };
    }
  }
  return { value: text };
}

// The starting value of a test-run input.
export const blankValue = (type) => (type === 'boolean' ? false : '');

// Typed values of every variable: { values, errors } (errors keyed like the server's fields,
// "variables.<name>").
export function collectValues(variables, raw) {
  const values = {};
  const errors = {};
  for (const v of variables) {
    const result = coerceValue(v.type, raw[v.name] ?? blankValue(v.type));
    if (result.error) errors[`variables.${v.name}`] = result.error;
    else values[v.name] = result.value;
  }
  return { values, errors };
}

// {field: message} from an axios error's RFC 9457 body; several messages for one field are
// joined (problemOf keeps only the last).
export function fieldErrors(error) {
  const list = error?.response?.data?.errors;
  const out = {};
  if (!Array.isArray(list)) return out;
  for (const e of list) {
    if (!e?.field) continue;
    out[e.field] = out[e.field] ? `${out[e.field]} ${e.message}` : e.message;
  }
  return out;
}

// A prompt form's errors, sorted by what they are about: the prompt's own fields, the
// variables list as a whole, and each variable row (`variables[i]`, `variables[i].name`,
// `variables[i].type`; i is the index in the list that was sent, `sentKeys[i]` its row).
export function formErrors(fields, sentKeys = []) {
  const out = { fields: {}, rows: {}, other: {} };
  for (const [field, message] of Object.entries(fields ?? {})) {
    const row = /^variables\[(\d+)\](?:\.(name|type))?$/.exec(field);
    if (row) {
      const key = sentKeys[Number(row[1])];
      if (key === undefined) {
        out.other[field] = message;
        continue;
      }
      const part = row[2] ?? 'name';
      out.rows[key] = { ...out.rows[key], [part]: out.rows[key]?.[part] ? `${out.rows[key][part]} ${message}` : message };
    } else if (['name', 'description', 'template', 'variables', 'activate'].includes(field)) out.fields[field] = message;
    else out.other[field] = message;
  }
  return out;
}

// A test run's errors: "variables.<name>" on that variable's input (also under "prompt."
// from the chat route), "version"/"prompt.version", "provider", "model"; the rest apart.
export function runErrors(fields) {
  const out = { variables: {}, fields: {}, other: {} };
  for (const [raw, message] of Object.entries(fields ?? {})) {
    const field = raw.startsWith('prompt.') ? raw.slice('prompt.'.length) : raw;
    if (field.startsWith('variables.')) out.variables[field.slice('variables.'.length)] = message;
    else if (['variables', 'version', 'provider', 'model'].includes(field)) out.fields[field] = message;
    else out.other[raw] = message;
  }
  return out;
}

// ---- usage ----

export const usageWindows = [
  { id: '24h', label: 'Last 24 hours', short: 'last 24 hours', ms: 24 * 3600 * 1000 },
  { id: '7d', label: 'Last 7 days', short: 'last 7 days', ms: 7 * 24 * 3600 * 1000 },
  { id: '30d', label: 'Last 30 days', short: 'last 30 days', ms: 30 * 24 * 3600 * 1000 },
];
export const windowById = (id) => usageWindows.find((w) => w.id === id) ?? usageWindows[1];

export function windowRange(windowId, now = Date.now()) {
  const w = windowById(windowId);
  return { from: new Date(now - w.ms).toISOString(), to: new Date(now).toISOString() };
}

const emptyUsage = { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, latency_ms_avg: 0 };

// One row per UTC day from `from` to `to` (the server's day keys are UTC dates, YYYY-MM-DD),
// with the usage of that day or zeros.
export function dailySeries(items, from, to) {
  const byDay = new Map((items ?? []).filter((i) => i.key).map((i) => [i.key, i]));
  const rows = [];
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return rows;
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  for (let guard = 0; day <= end && guard < 400; guard++) {
    const key = day.toISOString().slice(0, 10);
    rows.push({ ...emptyUsage, ...byDay.get(key), key, label: day.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }) });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return rows;
}

const blank = (v) => v === null || v === undefined || !Number.isFinite(Number(v));

// USD amounts of model calls are often fractions of a cent: below a dollar, two significant
// digits (at least two decimals: $0.50, $0.043, $0.00012); from a dollar on, cents.
export function formatUsd(v) {
  if (blank(v)) return '—';
  const n = Number(v);
  if (n === 0) return '$0.00';
  const decimals = Math.abs(n) < 1 ? Math.min(10, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(n))))) : 2;
  return n.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export const formatCount = (v) => (blank(v) ? '—' : Number(v).toLocaleString('en-US'));

export const providerLabels = { anthropic: 'Anthropic', openai: 'OpenAI-compatible', offline: 'Offline (built in)' };
export const circuitText = { closed: 'circuit closed', open: 'circuit open', half_open: 'circuit half-open' };
export const circuitTone = { closed: 'ok', open: 'bad', half_open: 'warn' };
