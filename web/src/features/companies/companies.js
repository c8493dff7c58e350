// Pure helpers of the Companies page (docs/sales.md, "Companies").

// The form's text fields as the API's body: a new company sends what is filled in; a change
// sends every field, so a cleared one is cleared.
export function companyBody(form, creating) {
  const body = {};
  for (const key of ['name', 'domain', 'industry', 'owner']) {
    const value = form[key].trim();
    if (value || !creating) body[key] = value;
  }
  return body;
}

// A company's attributes as "key: value" lines for the table, the ones most telling first.
export function attributeSummary(attributes) {
  const entries = Object.entries(attributes ?? {}).filter(([, v]) => v !== null && v !== '');
  const first = ['employees', 'annual_revenue_usd', 'office_location'];
  entries.sort(([a], [b]) => {
    const ia = first.indexOf(a) === -1 ? first.length : first.indexOf(a);
    const ib = first.indexOf(b) === -1 ? first.length : first.indexOf(b);
    return ia - ib || a.localeCompare(b);
  });
  return entries.map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'number' ? v.toLocaleString('en-US') : String(v)}`);
}
