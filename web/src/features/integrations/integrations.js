// Pure helpers of the Integrations page: the connect form per vendor type, the request bodies
// built from the forms, topic patterns, and telling "this server has no such route" apart from
// a real failure.

// What each type needs (docs/integrations.md). `config` fields are shown back as they are (a
// `json` one pretty-printed, and sent parsed); `credentials` are write-only: the server answers
// only their names in `credentials_set`.
export const integrationTypes = {
  salesforce: {
    label: 'Salesforce',
    config: [
      { name: 'instance_url', label: 'Instance URL', placeholder: 'https://acme.my.salesforce.com' },
      { name: 'login_url', label: 'Login URL', placeholder: 'https://login.salesforce.com', optional: true },
      { name: 'api_version', label: 'API version', placeholder: '60.0', optional: true },
      { name: 'sync_every', label: 'Sync every', placeholder: '15m (empty: on demand)', optional: true },
      { name: 'deletions', label: 'Deletions synced', placeholder: 'both, pull, push or none (default both)', optional: true },
      { name: 'mapping', label: 'Field mapping (JSON)', placeholder: '{"lead": {"fields": [{"local": "email", "remote": "Email"}]}, "contact": null}', optional: true, json: true },
    ],
    credentials: [
      { name: 'client_id', label: 'Client id' },
      { name: 'client_secret', label: 'Client secret' },
    ],
  },
  hubspot: {
    label: 'HubSpot',
    config: [
      { name: 'base_url', label: 'API base URL', placeholder: 'https://api.hubapi.com', optional: true },
      { name: 'sync_every', label: 'Sync every', placeholder: '15m (empty: on demand)', optional: true },
      { name: 'deletions', label: 'Deletions synced', placeholder: 'both, pull, push or none (default both)', optional: true },
      { name: 'mapping', label: 'Field mapping (JSON)', placeholder: '{"contact": {"fields": [{"local": "email", "remote": "email"}]}}', optional: true, json: true },
    ],
    credentials: [
      { name: 'access_token', label: 'Private app access token' },
      { name: 'client_secret', label: 'Client secret', optional: true },
    ],
  },
  jira: {
    label: 'Jira',
    config: [
      { name: 'base_url', label: 'Site URL', placeholder: 'https://acme.atlassian.net' },
      { name: 'project_key', label: 'Project key', placeholder: 'PROD', optional: true },
    ],
    credentials: [
      { name: 'email', label: 'Account email' },
      { name: 'api_token', label: 'API token' },
    ],
  },
  confluence: {
    label: 'Confluence',
    config: [
      { name: 'base_url', label: 'Site URL', placeholder: 'https://acme.atlassian.net/wiki' },
      { name: 'space_id', label: 'Space id', placeholder: '65538', optional: true },
    ],
    credentials: [
      { name: 'email', label: 'Account email' },
      { name: 'api_token', label: 'API token' },
    ],
  },
  slack: {
    label: 'Slack',
    config: [
      { name: 'base_url', label: 'API base URL', placeholder: 'https://slack.com/api', optional: true },
      { name: 'default_channel', label: 'Default channel', placeholder: '#sales', optional: true },
    ],
    credentials: [
      { name: 'bot_token', label: 'Bot token' },
      { name: 'signing_secret', label: 'Signing secret', optional: true },
    ],
  },
  email: {
    label: 'Email (SMTP)',
    config: [
      { name: 'smtp_url', label: 'SMTP URL', placeholder: 'smtps://mail.example.com:465' },
      { name: 'from', label: 'From address', placeholder: 'Sales <sales@example.com>' },
      { name: 'starttls', label: 'STARTTLS', options: ['required', 'optional'], optional: true },
    ],
    credentials: [
      { name: 'username', label: 'User name', optional: true },
      { name: 'password', label: 'Password', optional: true },
    ],
  },
};

export const typeLabel = (type) => integrationTypes[type]?.label ?? type;

// The form's starting values: config from the integration when editing (a choice starts at its
// first option), credentials always empty (they are never sent back).
export function blankForm(type, integration = null) {
  const shown = (f, value) => (f.json ? (value == null ? '' : JSON.stringify(value, null, 2)) : String(value ?? f.options?.[0] ?? ''));
  const config = Object.fromEntries(integrationTypes[type].config.map((f) => [f.name, shown(f, integration?.config?.[f.name])]));
  const credentials = Object.fromEntries(integrationTypes[type].credentials.map((f) => [f.name, '']));
  return { name: integration?.name ?? '', type, config, credentials, is_active: integration?.is_active ?? true };
}

// The body of POST /integrations (creating) or PATCH /integrations/{id}. The server merges a
// PATCH's config over what is set: an emptied field is sent as null (back to its default), an
// untouched empty one is left out. Only the credentials typed in are sent; the others stay;
// is_active only when switched.
export function integrationBody(form, { creating, integration = null }) {
  const config = {};
  for (const f of integrationTypes[form.type].config) {
    const value = String(form.config[f.name]).trim();
    if (value) config[f.name] = f.json ? JSON.parse(value) : value;
    else if (!creating && integration?.config?.[f.name] !== undefined) config[f.name] = null;
  }
  const credentials = Object.fromEntries(Object.entries(form.credentials).filter(([, value]) => value));
  const body = { name: form.name.trim(), config };
  if (creating) body.type = form.type;
  if (creating || Object.keys(credentials).length) body.credentials = credentials;
  if (!creating && form.is_active !== integration?.is_active) body.is_active = form.is_active;
  return body;
}

// The JSON fields of a form that do not parse, by their server-side name (config.mapping):
// checked before integrationBody, which parses them.
export function jsonFieldErrors(form) {
  const errors = {};
  for (const f of integrationTypes[form.type].config) {
    const value = String(form.config[f.name]).trim();
    if (!f.json || !value) continue;
    try {
      JSON.parse(value);
    } catch (err) {
      errors[`config.${f.name}`] = `Not valid JSON: ${err.message}`;
    }
  }
  return errors;
}

// The server's message for a field, or for the parts of it (config.mapping.contact.fields[0].local).
export function fieldError(fields, name) {
  if (fields[name]) return fields[name];
  const parts = Object.entries(fields).filter(([key]) => key.startsWith(`${name}.`));
  return parts.length ? parts.map(([key, message]) => `${key.slice(name.length + 1)}: ${message}`).join('; ') : undefined;
}

// Topic patterns typed as text: split on commas, spaces or lines, duplicates dropped.
export function parseTopics(text) {
  return [...new Set(String(text).split(/[\s,]+/).filter(Boolean))];
}

// A route the server does not have yet (sync and conflicts arrive later) answers 404: the page
// says "not available on this server" instead of showing a failure.
export const isMissingRoute = (problem) => problem?.status === 404;

// The counts a sync run reports (pulled, pushed, conflicts, ...): its numeric fields, by name.
export function runCounts(run) {
  return Object.entries(run ?? {})
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`);
}

// What record a conflict is about, from whichever of the usual fields the server sends.
export function conflictRecord(c) {
  const kind = c.entity_type ?? c.entity ?? c.object ?? '';
  const id = c.record_id ?? c.entity_id ?? c.local_id ?? c.remote_id ?? '';
  return `${kind} ${id}`.trim() || c.id;
}

export const shownValue = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

// The outcome of a person's consent at Salesforce, from the address its callback sent the
// browser back to (?consent=given|refused|failed&integration=&reason=); null without one.
export function consentOutcome(params, integrations) {
  const outcome = params.get('consent');
  if (!outcome) return null;
  const name = integrations.find((i) => i.id === params.get('integration'))?.name ?? 'the integration';
  const reason = params.get('reason');
  if (outcome === 'given') return { ok: true, text: `Salesforce consent given: ${name} now signs in with its refresh token.` };
  const what = outcome === 'refused' ? 'was refused at Salesforce' : 'did not complete';
  return { ok: false, text: `The consent for ${name} ${what}${reason ? `: ${reason}` : ''}. Sign in to Salesforce again to retry.` };
}
