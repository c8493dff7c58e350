import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import AiPage from './AiPage.jsx';
import Layout from '../../components/Layout.jsx';
import { allowed } from '../auth/authSlice.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, operator, problem, signedIn, viewer } from '../../test/mockApi.js';

const manager = { id: 'u-manager', email: 'manager@example.com', username: 'manager', roles: ['manager'] };

const renderAt = (user, path = '/ai') => {
  setSession(signedIn(user));
  return render(
    <Provider store={makeStore()}>
      <MemoryRouter initialEntries={[path]}>
        <AiPage />
      </MemoryRouter>
    </Provider>,
  );
};

const provider = (over) => ({
  configured: false,
  key_source: 'none',
  default_model: null,
  base_url: null,
  circuit: 'closed',
  consecutive_failures: 0,
  last_error: null,
  last_error_at: null,
  open_until: null,
  ...over,
});
const providersAnswer = (over = {}) => ({
  fallback_order: ['anthropic', 'openai', 'offline'],
  items: [
    provider({ name: 'offline', configured: true, default_model: 'offline-1', base_url: '' }),
    provider({ name: 'anthropic', default_model: 'claude-3-5-haiku-latest', base_url: 'https://api.anthropic.com', ...over.anthropic }),
    provider({
      name: 'openai',
      configured: true,
      key_source: 'stored',
      default_model: 'gpt-4o-mini',
      base_url: 'https://api.openai.com/v1',
      circuit: 'open',
      consecutive_failures: 5,
      last_error: 'openai: the API key was not accepted (invalid_api_key), api.openai.com:443',
      last_error_at: new Date(Date.now() - 120000).toISOString(),
      open_until: new Date(Date.now() + 20000).toISOString(),
      ...over.openai,
    }),
  ],
});
const card = (name) => screen.getByRole('article', { name });

describe('AI page: providers', () => {
  it('shows each provider with its state, last error and the fallback order; a viewer gets no key controls', async () => {
    mockApi({ 'GET /ai/providers': () => [200, providersAnswer()] });
    renderAt(viewer);
    await screen.findByRole('article', { name: 'Anthropic' });
    expect(screen.getByRole('tab', { name: 'Providers' }).getAttribute('aria-selected')).toBe('true');
    const order = within(screen.getByRole('list', { name: 'Fallback order' })).getAllByRole('listitem');
    expect(order.map((li) => li.textContent.replace('→', '').trim())).toEqual(['1 Anthropic', '2 OpenAI-compatible', '3 Offline (built in)']);
    // Cards follow the fallback order.
    expect(screen.getAllByRole('article').map((a) => a.getAttribute('aria-labelledby'))).toEqual(['provider-anthropic-title', 'provider-openai-title', 'provider-offline-title']);

    const anthropic = card('Anthropic');
    expect(within(anthropic).getByText('not configured')).toBeTruthy();
    expect(within(anthropic).getByText('circuit closed')).toBeTruthy();
    expect(within(anthropic).getByText('#1 in the fallback order')).toBeTruthy();
    expect(within(anthropic).getByTitle('https://api.anthropic.com')).toBeTruthy();

    const openai = card('OpenAI-compatible');
    expect(within(openai).getByText('configured')).toBeTruthy();
    expect(within(openai).getByText('circuit open')).toBeTruthy();
    expect(within(openai).getByText('openai: the API key was not accepted (invalid_api_key), api.openai.com:443')).toBeTruthy();
    expect(within(openai).getByText('2 min ago')).toBeTruthy();
    expect(within(openai).getByText('Open until')).toBeTruthy();
    expect(within(openai).getByText('stored (encrypted)')).toBeTruthy();
    expect(within(openai).getByText('5')).toBeTruthy();

    const offline = card('Offline (built in)');
    expect(within(offline).getByText('configured')).toBeTruthy();
    expect(within(offline).getByText('not needed')).toBeTruthy();

    expect(screen.queryByRole('button', { name: /API key/ })).toBeNull();
  });

  it('lets an admin store a key without ever showing it: a password field, cleared, then "key stored"', async () => {
    let stored = false;
    const calls = mockApi({
      'GET /ai/providers': () => [200, providersAnswer(stored ? { anthropic: { configured: true, key_source: 'stored' } } : {})],
      'PUT /ai/providers/anthropic/key': () => {
        stored = true;
        return [204];
      },
    });
    renderAt(admin);
    await screen.findByRole('article', { name: 'Anthropic' });
    // Not for the offline provider, which needs none.
    expect(within(card('Offline (built in)')).queryByRole('button')).toBeNull();
    expect(within(card('Offline (built in)')).queryByLabelText('API key')).toBeNull();

    // Opening the form moves the focus into it; Cancel brings it back.
    fireEvent.click(screen.getByRole('button', { name: 'Set the API key of Anthropic' }));
    expect(document.activeElement).toBe(screen.getByLabelText('API key'));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Set the API key of Anthropic' })));
    fireEvent.click(screen.getByRole('button', { name: 'Set the API key of Anthropic' }));
    const form = screen.getByRole('form', { name: 'API key of Anthropic' });
    const input = within(form).getByLabelText('API key');
    expect(input.getAttribute('type')).toBe('password');
    expect(input.getAttribute('autocomplete')).toBe('new-password');
    // Empty: refused before sending.
    fireEvent.click(within(form).getByRole('button', { name: 'Save key' }));
    expect(within(form).getByText('Paste the key first.')).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);

    fireEvent.change(input, { target: { value: 'sk-ant-SECRET-1234567890' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save key' }));
    expect(await within(card('Anthropic')).findByText('key stored')).toBeTruthy();
    // The form is gone: the focus is on the notice, not lost.
    await waitFor(() => expect(document.activeElement.textContent).toContain('key stored'));
    expect(calls.find((c) => c.method === 'PUT')).toMatchObject({ url: '/ai/providers/anthropic/key', body: { api_key: 'sk-ant-SECRET-1234567890' } });
    // The state is read again from the server: now a stored key, which can be replaced or removed.
    await within(card('Anthropic')).findByText('stored (encrypted)');
    expect(calls.filter((c) => c.method === 'GET' && c.url === '/ai/providers')).toHaveLength(2);
    expect(screen.getByRole('button', { name: 'Replace the API key of Anthropic' })).toBeTruthy();
    // The key is nowhere on the page: not in the text, not in a field, not in an attribute.
    expect(document.body.innerHTML).not.toContain('SECRET');
    expect([...document.querySelectorAll('input, textarea')].some((el) => el.value.includes('SECRET'))).toBe(false);
    expect(screen.queryByRole('form', { name: 'API key of Anthropic' })).toBeNull();
  });

  it('shows a refused key next to the field, and never offers to set a key that comes from the environment', async () => {
    mockApi({
      'GET /ai/providers': () => [200, providersAnswer({ openai: { key_source: 'environment', circuit: 'closed', last_error: null, open_until: null } })],
      'PUT /ai/providers/anthropic/key': () => problem(422, 'Validation failed', 'the body has errors', { errors: [{ field: 'api_key', message: 'must not contain spaces or line breaks' }] }),
    });
    renderAt(admin);
    await screen.findByRole('article', { name: 'Anthropic' });
    expect(within(card('OpenAI-compatible')).getByText(/set in the server's environment/)).toBeTruthy();
    expect(within(card('OpenAI-compatible')).queryByRole('button')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Set the API key of Anthropic' }));
    const input = screen.getByLabelText('API key');
    fireEvent.change(input, { target: { value: 'two words' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save key' }));
    expect(await screen.findByText('must not contain spaces or line breaks')).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(input.getAttribute('aria-describedby')).textContent).toBe('must not contain spaces or line breaks');
    expect(within(card('Anthropic')).queryByText('key stored')).toBeNull();
  });

  it('removes a stored key only after confirmation', async () => {
    let stored = true;
    const calls = mockApi({
      'GET /ai/providers': () => [200, providersAnswer({ openai: stored ? {} : { key_source: 'none', configured: false } })],
      'DELETE /ai/providers/openai/key': () => {
        stored = false;
        return [204];
      },
    });
    renderAt(admin);
    await screen.findByRole('article', { name: 'OpenAI-compatible' });
    fireEvent.click(screen.getByRole('button', { name: 'Remove the API key of OpenAI-compatible' }));
    const confirm = screen.getByRole('group', { name: 'Remove the API key of OpenAI-compatible?' });
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Keep' }));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Remove the API key of OpenAI-compatible' }));
    fireEvent.click(within(screen.getByRole('group', { name: 'Remove the API key of OpenAI-compatible?' })).getByRole('button', { name: 'Remove' }));
    expect(await within(card('OpenAI-compatible')).findByText('key removed')).toBeTruthy();
    expect(calls.find((c) => c.method === 'DELETE').url).toBe('/ai/providers/openai/key');
    await within(card('OpenAI-compatible')).findByText('not configured');
    expect(screen.getByRole('button', { name: 'Set the API key of OpenAI-compatible' })).toBeTruthy();
  });

  it('says so when the server has no provider route yet', async () => {
    mockApi({ 'GET /ai/providers': () => problem(404, 'Not Found', 'no route GET /api/v1/ai/providers') });
    renderAt(admin);
    expect(await screen.findByText('Provider status is not available on this server yet')).toBeTruthy();
  });
});

const usage = (groupBy, items) => {
  const sum = (k) => items.reduce((s, i) => s + i[k], 0);
  return [
    200,
    {
      group_by: groupBy,
      from: '2026-03-03T12:00:00.000Z',
      to: '2026-03-10T12:00:00.000Z',
      items,
      totals: { requests: sum('requests'), errors: sum('errors'), input_tokens: sum('input_tokens'), output_tokens: sum('output_tokens'), cost_usd: sum('cost_usd'), latency_ms_avg: 420 },
    },
  ];
};
const row = (key, requests, cost, over = {}) => ({ key, requests, errors: 0, input_tokens: requests * 100, output_tokens: requests * 40, cost_usd: cost, latency_ms_avg: 400, ...over });
const today = new Date().toISOString().slice(0, 10);

describe('AI page: usage', () => {
  const routes = () => ({
    'GET /ai/usage': (c) =>
      ({
        day: usage('day', [row(today, 12, 0.0425, { errors: 1 })]),
        model: usage('model', [row('gpt-4o-mini', 9, 0.0425, { errors: 1 }), row('Qwen/Qwen2.5-7B-Instruct-with-a-very-long-model-name', 3, 0)]),
        agent: usage('agent', [row('a-sales', 7, 0.03), row(null, 4, 0.0125), row('5f0c2a9e-9d2b-4a53-8d43-aaaaaaaaaaaa', 1, 0)]),
      })[c.params.group_by],
    'GET /agents': () => [200, { items: [{ id: 'a-sales', name: 'Sales Agent', type: 'sales', status: 'idle', capabilities: [] }], next_cursor: null }],
  });

  it('shows totals, cost by day, and tables by model and by agent (names resolved, "no agent" for none)', async () => {
    // jsdom lays nothing out: give the chart's container a size so that it draws.
    const size = vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue({ width: 640, height: 230, top: 0, left: 0, right: 640, bottom: 230, x: 0, y: 0 });
    const calls = mockApi(routes());
    const { container } = renderAt(viewer, '/ai?tab=usage');
    const totals = await screen.findByRole('group', { name: 'Totals, last 7 days' });
    const kpi = (label) => within(totals).getByText(label).parentElement.querySelector('.kpi-value').textContent;
    expect(kpi('Requests')).toBe('12');
    expect(kpi('Errors')).toBe('1');
    expect(kpi('Tokens in')).toBe('1,200');
    expect(kpi('Tokens out')).toBe('480');
    expect(kpi('Cost')).toBe('$0.043');
    expect(kpi('Avg latency')).toBe('420 ms');
    expect(within(totals).getByText('8.3% of requests')).toBeTruthy();

    // Each grouping asked for the same 7-day window.
    const asked = calls.filter((c) => c.url === '/ai/usage');
    expect(asked.map((c) => c.params.group_by).sort()).toEqual(['agent', 'day', 'model']);
    for (const c of asked) expect(Date.parse(c.params.to) - Date.parse(c.params.from)).toBe(7 * 24 * 3600 * 1000);

    const models = screen.getByRole('table', { name: 'By model' });
    expect(within(models).getByText('gpt-4o-mini')).toBeTruthy();
    const long = within(models).getByText('Qwen/Qwen2.5-7B-Instruct-with-a-very-long-model-name');
    expect(long.className).toContain('truncate');
    expect(long.getAttribute('title')).toBe('Qwen/Qwen2.5-7B-Instruct-with-a-very-long-model-name');
    const agents = screen.getByRole('table', { name: 'By agent' });
    expect(within(agents).getByText('Sales Agent')).toBeTruthy();
    expect(within(agents).getByText('no agent')).toBeTruthy();
    expect(within(agents).getByText('5f0c2a9e')).toBeTruthy();
    expect(within(within(agents).getByText('Sales Agent').closest('tr')).getByText('$0.030')).toBeTruthy();

    // The chart is a picture with a summary, not a Tab stop.
    const chart = screen.getByRole('img', { name: /^Cost and requests by day, last 7 days: \$0\.043 for 12 requests/ });
    await waitFor(() => expect(container.querySelectorAll('.chart .recharts-surface').length).toBe(1));
    // recharts' layers carry tabindex="-1"; nothing may be a Tab stop (0 or more), or an application.
    expect([...chart.querySelectorAll('[tabindex]')].filter((el) => Number(el.getAttribute('tabindex')) >= 0)).toEqual([]);
    expect(chart.querySelector('.recharts-surface').hasAttribute('tabindex')).toBe(false);
    expect(chart.querySelector('[role="application"]')).toBeNull();
    size.mockRestore();
  });

  it('changes the window', async () => {
    const calls = mockApi(routes());
    renderAt(viewer, '/ai?tab=usage');
    await screen.findByRole('group', { name: 'Totals, last 7 days' });
    fireEvent.click(screen.getByRole('radio', { name: 'Last 24 hours' }));
    await screen.findByRole('group', { name: 'Totals, last 24 hours' });
    const last = calls.filter((c) => c.url === '/ai/usage').slice(-3);
    for (const c of last) expect(Date.parse(c.params.to) - Date.parse(c.params.from)).toBe(24 * 3600 * 1000);
    expect(screen.getByRole('radio', { name: 'Last 24 hours' }).checked).toBe(true);
  });

  it('says when there were no calls', async () => {
    mockApi({ 'GET /ai/usage': (c) => usage(c.params.group_by, []), 'GET /agents': () => [200, { items: [], next_cursor: null }] });
    renderAt(viewer, '/ai?tab=usage');
    expect(await screen.findByText(/No AI calls in this window yet/)).toBeTruthy();
    expect(screen.getAllByText('No calls in this window.')).toHaveLength(2);
  });
});

const v1 = { version: 1, template: 'Summarise the lead {{company}}.\nKeep it short.', variables: [{ name: 'company', type: 'string' }], active: false, created_by: 'u-manager', created_at: '2026-03-01T09:00:00.000Z' };
const v2 = {
  version: 2,
  template: 'Summarise the lead {{company}}.\nBudget: {{budget}} USD, urgent: {{urgent}}.\nContext: {{context}}\nKeep it short.',
  variables: [
    { name: 'company', type: 'string' },
    { name: 'budget', type: 'number' },
    { name: 'urgent', type: 'boolean' },
    { name: 'context', type: 'json' },
  ],
  active: true,
  created_by: 'u-admin',
  created_at: '2026-03-02T09:00:00.000Z',
};
const summary = {
  id: 'p1',
  name: 'lead.summary',
  description: 'A short summary of a lead for the sales team',
  active_version: 2,
  template: v2.template,
  variables: v2.variables,
  created_at: '2026-03-01T09:00:00.000Z',
  updated_at: '2026-03-02T09:00:00.000Z',
};
const promptRoutes = (extra = {}) => {
  let prompt = { ...summary, versions: [v2, v1] };
  return {
    'GET /prompts': () => [200, { items: [summary, { ...summary, id: 'p2', name: 'campaign.brief', description: '', active_version: 1 }], next_cursor: null }],
    'GET /prompts/p1': () => [200, prompt],
    'POST /prompts/p1/activate': (c) => {
      prompt = { ...prompt, active_version: c.body.version, versions: prompt.versions.map((v) => ({ ...v, active: v.version === c.body.version })) };
      return [200, prompt];
    },
    'POST /prompts/p1/versions': (c) => {
      const version = { version: 3, template: c.body.template, variables: c.body.variables, active: c.body.activate, created_by: 'u-manager', created_at: '2026-03-03T09:00:00.000Z' };
      prompt = { ...prompt, active_version: c.body.activate ? 3 : prompt.active_version, versions: [version, ...prompt.versions.map((v) => ({ ...v, active: c.body.activate ? false : v.active }))] };
      return [201, prompt];
    },
    'GET /ai/providers': () => [200, providersAnswer()],
    ...extra,
  };
};

describe('AI page: prompt templates', () => {
  it('lists prompts; a viewer reads a prompt, its versions and a diff, and may preview but not change or run', async () => {
    mockApi(promptRoutes());
    renderAt(viewer, '/ai?tab=prompts');
    const list = await screen.findByRole('navigation', { name: 'Prompt templates' });
    expect(within(list).getAllByRole('button').map((b) => b.querySelector('.prompt-item-name').textContent)).toEqual(['lead.summary', 'campaign.brief']);
    expect(screen.getByText('Choose a prompt')).toBeTruthy();
    fireEvent.click(within(list).getByRole('button', { name: /lead\.summary/ }));

    expect(await screen.findByRole('heading', { name: 'lead.summary', level: 2 })).toBeTruthy();
    expect(within(list).getByRole('button', { name: /lead\.summary/ }).getAttribute('aria-current')).toBe('true');
    expect(screen.getByText('version 2 active')).toBeTruthy();
    const versions = screen.getByRole('table', { name: 'Versions of lead.summary' });
    expect(within(versions).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByLabelText('Template of version 2').textContent).toBe(v2.template);

    // Nothing that changes or spends: no New prompt, New version, Activate or Run.
    for (const name of ['New prompt', 'New version', 'Activate version 1', 'Run']) expect(screen.queryByRole('button', { name })).toBeNull();
    expect(screen.getByRole('button', { name: 'Preview' })).toBeTruthy();
    expect(screen.queryByLabelText('Provider')).toBeNull();

    // The diff of version 1 -> 2: added and removed lines marked in text, not only colour.
    const diff = screen.getByRole('list', { name: 'Template changes from version 1 to version 2' });
    const lines = within(diff).getAllByRole('listitem');
    const added = lines.filter((li) => li.classList.contains('diff-added'));
    expect(added.map((li) => li.querySelector('.diff-text').textContent)).toEqual(['Budget: {{budget}} USD, urgent: {{urgent}}.', 'Context: {{context}}']);
    expect(added[0].querySelector('.diff-sign').textContent).toBe('+');
    expect(added[0].textContent).toContain('added: ');
    expect(screen.getByText('2 lines added, 0 removed.')).toBeTruthy();
    expect(screen.getByText(/budget \(number\)/)).toBeTruthy();
    // Reversed: the same lines, removed.
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '1' } });
    const back = within(screen.getByRole('list', { name: 'Template changes from version 2 to version 1' })).getAllByRole('listitem');
    const removed = back.filter((li) => li.classList.contains('diff-removed'));
    expect(removed).toHaveLength(2);
    expect(removed[0].querySelector('.diff-sign').textContent).toBe('−');
    expect(removed[0].textContent).toContain('removed: ');
  });

  it('opens the prompt named in the address, and an operator may run but not manage', async () => {
    mockApi(promptRoutes());
    renderAt(operator, '/ai?tab=prompts&prompt=p1');
    await screen.findByRole('heading', { name: 'lead.summary', level: 2 });
    expect(screen.getByRole('button', { name: 'Run' })).toBeTruthy();
    for (const name of ['New prompt', 'New version', 'Activate version 1']) expect(screen.queryByRole('button', { name })).toBeNull();
    // The providers the run may choose: configured ones only.
    await waitFor(() => expect(within(screen.getByLabelText('Provider')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Automatic (fallback order)', 'OpenAI-compatible', 'Offline (built in)']));
    expect(screen.getByLabelText(/^Model/).disabled).toBe(true);
  });

  it('a manager creates a prompt: the 422 problems next to their fields, then it is saved and opened', async () => {
    let created = null;
    const calls = mockApi(
      promptRoutes({
        'POST /prompts': (c) => {
          if (c.body.variables.some((v) => v.type === 'number'))
            return problem(422, 'Validation failed', 'the body has errors', {
              errors: [
                { field: 'name', message: 'a prompt named this exists' },
                { field: 'template', message: '{{seats}} is not a declared variable' },
                { field: 'variables[1].type', message: 'must be one of string, number, boolean, json' },
                { field: 'variables', message: "'region' is declared but the template never uses it" },
              ],
            });
          created = { id: 'p9', name: c.body.name, description: c.body.description, active_version: 1, template: c.body.template, variables: c.body.variables, created_at: '2026-03-04T09:00:00.000Z', updated_at: '2026-03-04T09:00:00.000Z' };
          return [201, { ...created, versions: [{ version: 1, template: c.body.template, variables: c.body.variables, active: true, created_by: manager.id, created_at: created.created_at }] }];
        },
        'GET /prompts/p9': () => [200, { ...created, versions: [{ version: 1, template: created.template, variables: created.variables, active: true, created_by: manager.id, created_at: created.created_at }] }],
      }),
    );
    renderAt(manager, '/ai?tab=prompts');
    await screen.findByRole('navigation', { name: 'Prompt templates' });
    fireEvent.click(screen.getByRole('button', { name: 'New prompt' }));
    const form = screen.getByRole('form', { name: 'New prompt' });
    expect(document.activeElement).toBe(within(form).getByLabelText('Name'));

    // Checked before sending: the name's characters.
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Deal Review' } });
    fireEvent.change(within(form).getByLabelText('Template'), { target: { value: 'Review {{deal}} worth {{amount}} for {{seats}} seats.' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create prompt' }));
    expect(within(form).getByText(/Lowercase letters, digits/)).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'deal.review' } });
    fireEvent.change(within(form).getByLabelText(/^Description/), { target: { value: 'Reviews a deal' } });
    // The placeholders can be declared in one go, then typed.
    fireEvent.click(within(form).getByRole('button', { name: /Declare \{\{deal\}\}, \{\{amount\}\}, \{\{seats\}\}/ }));
    expect(within(form).getByLabelText('Name of variable 3').value).toBe('seats');
    fireEvent.change(within(form).getByLabelText('Type of variable 2'), { target: { value: 'number' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Remove variable 3 (seats)' }));
    fireEvent.click(within(form).getByRole('button', { name: 'Create prompt' }));

    // Each message next to the field it names, the field marked invalid and described by it.
    const expectError = (control, message) => {
      expect(control.getAttribute('aria-invalid')).toBe('true');
      expect(document.getElementById(control.getAttribute('aria-describedby')).textContent).toBe(message);
    };
    await within(form).findByText('a prompt named this exists');
    expectError(within(form).getByLabelText('Name'), 'a prompt named this exists');
    expectError(within(form).getByLabelText('Template'), '{{seats}} is not a declared variable');
    expectError(within(form).getByLabelText('Type of variable 2'), 'must be one of string, number, boolean, json');
    expect(within(form).getByLabelText('Type of variable 1').getAttribute('aria-invalid')).toBe('false');
    const fieldset = within(form).getByRole('group', { name: 'Variables' });
    expect(document.getElementById(fieldset.getAttribute('aria-describedby')).textContent).toBe("'region' is declared but the template never uses it");
    expect(within(form).getByRole('alert').textContent).toContain('Not saved.');
    // The first field with a problem gets the focus.
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByLabelText('Name')));
    expect(calls.find((c) => c.method === 'POST').body).toEqual({
      name: 'deal.review',
      description: 'Reviews a deal',
      template: 'Review {{deal}} worth {{amount}} for {{seats}} seats.',
      variables: [
        { name: 'deal', type: 'string' },
        { name: 'amount', type: 'number' },
      ],
    });
    // A change takes its message away.
    fireEvent.change(within(form).getByLabelText('Template'), { target: { value: 'Review {{deal}} worth {{amount}}.' } });
    expect(within(form).queryByText('{{seats}} is not a declared variable')).toBeNull();
    expect(within(form).getByLabelText('Template').getAttribute('aria-invalid')).toBe('false');

    fireEvent.change(within(form).getByLabelText('Type of variable 2'), { target: { value: 'json' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create prompt' }));
    expect(await screen.findByRole('heading', { name: 'deal.review', level: 2 })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'deal.review', level: 2 })));
    expect(screen.queryByRole('form', { name: 'New prompt' })).toBeNull();
    expect(within(screen.getByRole('navigation', { name: 'Prompt templates' })).getAllByRole('button')[0].getAttribute('aria-current')).toBe('true');
  });

  it('a manager adds a version (made active) and activates an older one', async () => {
    const calls = mockApi(promptRoutes());
    renderAt(manager, '/ai?tab=prompts&prompt=p1');
    await screen.findByRole('heading', { name: 'lead.summary', level: 2 });
    fireEvent.click(screen.getByRole('button', { name: 'Activate version 1' }));
    expect(await screen.findByText('Version 1 is now the active version.')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'lead.summary', level: 2 })));
    expect(calls.filter((c) => c.method === 'POST').at(-1)).toMatchObject({ url: '/prompts/p1/activate', body: { version: 1 } });
    expect(screen.getByText('version 1 active')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Activate version 2' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'New version' }));
    const form = screen.getByRole('form', { name: 'New version of lead.summary' });
    // It starts from the version shown (the active one).
    expect(within(form).getByLabelText('Template').value).toBe(v1.template);
    expect(within(form).getByRole('checkbox', { name: 'Make it the active version' }).checked).toBe(true);
    fireEvent.change(within(form).getByLabelText('Template'), { target: { value: 'Summarise {{company}} in one line.' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save version' }));
    expect(await screen.findByText('Version 3 saved and active.')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST').at(-1)).toMatchObject({ url: '/prompts/p1/versions', body: { template: 'Summarise {{company}} in one line.', variables: [{ name: 'company', type: 'string' }], activate: true } });
    expect(screen.getByLabelText('Template of version 3').textContent).toBe('Summarise {{company}} in one line.');
    // The diff now compares the two newest versions.
    expect(screen.getByRole('list', { name: 'Template changes from version 2 to version 3' })).toBeTruthy();
  });

  it('test run: typed inputs, a preview, a variable error in place, and a run with provider, model, tokens, cost and latency', async () => {
    const calls = mockApi(
      promptRoutes({
        'POST /prompts/p1/render': (c) =>
          c.body.variables.budget > 1e6
            ? [400, { title: 'Bad Request', status: 400, detail: 'variables.budget: must be a number', errors: [{ field: 'variables.budget', message: 'must be at most a million here' }] }]
            : [200, { name: 'lead.summary', version: c.body.version, text: `Summarise the lead ${c.body.variables.company}.\nBudget: ${c.body.variables.budget} USD` }],
        'POST /ai/chat': () => [200, { provider: 'offline', model: 'offline-1', content: 'Acme wants 12 seats.', usage: { input_tokens: 31, output_tokens: 7 }, cost_usd: 0, latency_ms: 3, attempts: 1 }],
      }),
    );
    renderAt(operator, '/ai?tab=prompts&prompt=p1');
    await screen.findByRole('heading', { name: 'Test run' });
    const budget = screen.getByLabelText(/^budget/);
    expect(budget.getAttribute('type')).toBe('number');
    const urgent = screen.getByRole('checkbox', { name: /urgent/ });
    const context = screen.getByLabelText(/^context/);
    expect(context.tagName).toBe('TEXTAREA');
    fireEvent.change(screen.getByLabelText(/^company/), { target: { value: 'Acme' } });
    fireEvent.change(budget, { target: { value: '5000' } });
    fireEvent.click(urgent);
    // Invalid JSON: caught here, nothing sent.
    fireEvent.change(context, { target: { value: '{"seats": ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect(context.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(context.getAttribute('aria-describedby')).textContent).toMatch(/^Not valid JSON/);
    expect(calls.some((c) => c.url.endsWith('/render'))).toBe(false);

    fireEvent.change(context, { target: { value: '{"seats": 12}' } });
    expect(context.getAttribute('aria-invalid')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect((await screen.findByLabelText('Rendered prompt')).textContent).toBe('Summarise the lead Acme.\nBudget: 5000 USD');
    expect(calls.find((c) => c.url === '/prompts/p1/render').body).toEqual({ variables: { company: 'Acme', budget: 5000, urgent: true, context: { seats: 12 } }, version: 2 });

    // The server's message about a variable, next to that variable.
    fireEvent.change(budget, { target: { value: '9000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    await screen.findByText('must be at most a million here');
    expect(budget.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(budget.getAttribute('aria-describedby')).textContent).toBe('must be at most a million here');
    expect(screen.getByRole('alert').textContent).toContain('variables.budget: must be a number');

    fireEvent.change(budget, { target: { value: '5000' } });
    fireEvent.change(screen.getByLabelText('Provider'), { target: { value: 'offline' } });
    fireEvent.change(screen.getByLabelText(/^Model/), { target: { value: 'offline-1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect((await screen.findByLabelText("The model's answer")).textContent).toBe('Acme wants 12 seats.');
    expect(calls.find((c) => c.url === '/ai/chat').body).toEqual({
      prompt: { name: 'lead.summary', version: 2, variables: { company: 'Acme', budget: 5000, urgent: true, context: { seats: 12 } } },
      provider: 'offline',
      model: 'offline-1',
    });
    const answer = screen.getByRole('region', { name: 'Answer' });
    const fact = (label) => within(answer).getByText(label).nextElementSibling.textContent;
    expect(fact('Provider')).toBe('offline');
    expect(fact('Model')).toBe('offline-1');
    expect(fact('Tokens in')).toBe('31');
    expect(fact('Tokens out')).toBe('7');
    expect(fact('Cost')).toBe('$0.00');
    expect(fact('Latency')).toBe('3 ms');
    expect(fact('Attempts')).toBe('1');
  });

  it('says when the server cannot run prompts yet (no /ai/chat)', async () => {
    mockApi(promptRoutes({ 'GET /ai/providers': () => problem(404, 'Not Found', 'no route') }));
    renderAt(admin, '/ai?tab=prompts&prompt=p1');
    await screen.findByRole('heading', { name: 'Test run' });
    fireEvent.change(screen.getByLabelText(/^company/), { target: { value: 'Acme' } });
    fireEvent.change(screen.getByLabelText(/^budget/), { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText(/^context/), { target: { value: 'null' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Running a prompt is not available on this server yet.');
  });
});

describe('AI page: navigation and roles', () => {
  it('is in the navigation for every role, and the tabs work with the arrow keys', async () => {
    mockApi({ 'GET /ai/providers': () => [200, providersAnswer()], 'GET /ai/usage': (c) => usage(c.params.group_by, []), 'GET /agents': () => [200, { items: [], next_cursor: null }] });
    setSession(signedIn(viewer));
    render(
      <Provider store={makeStore()}>
        <MemoryRouter initialEntries={['/ai']}>
          <Routes>
            <Route element={<Layout />}>
              <Route path="ai" element={<AiPage />} />
            </Route>
          </Routes>
        </MemoryRouter>
      </Provider>,
    );
    const link = within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'AI' });
    expect(link.getAttribute('aria-current')).toBe('page');
    const providersTab = screen.getByRole('tab', { name: 'Providers' });
    expect(providersTab.tabIndex).toBe(0);
    expect(screen.getByRole('tab', { name: 'Usage' }).tabIndex).toBe(-1);
    expect(screen.getByRole('tabpanel', { name: 'Providers' })).toBeTruthy();
    providersTab.focus();
    fireEvent.keyDown(providersTab, { key: 'ArrowRight' });
    expect(screen.getByRole('tab', { name: 'Usage' }).getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Usage' }));
    expect(await screen.findByRole('heading', { name: 'Usage and cost' })).toBeTruthy();
    fireEvent.keyDown(document.activeElement, { key: 'End' });
    expect(screen.getByRole('tab', { name: 'Tool approvals' }).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(document.activeElement, { key: 'ArrowRight' });
    expect(screen.getByRole('tab', { name: 'Providers' }).getAttribute('aria-selected')).toBe('true');
  });

  it('mirrors the server: prompts are managed by admins and managers, run by operators and up', () => {
    expect(allowed(admin, 'managePrompts')).toBe(true);
    expect(allowed(manager, 'managePrompts')).toBe(true);
    expect(allowed(operator, 'managePrompts')).toBe(false);
    expect(allowed(viewer, 'managePrompts')).toBe(false);
    expect(allowed(operator, 'runTasks')).toBe(true);
    expect(allowed(viewer, 'runTasks')).toBe(false);
  });
});
