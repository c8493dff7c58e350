import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import IntegrationsPage from './IntegrationsPage.jsx';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, operator, problem, signedIn, viewer } from '../../test/mockApi.js';

const manager = { id: 'u-manager', email: 'manager@example.com', username: 'manager', roles: ['manager'] };

const renderPage = (user, tab = 'webhooks') => {
  setSession(signedIn(user));
  render(
    <Provider store={makeStore()}>
      <MemoryRouter initialEntries={[`/integrations?tab=${tab}`]}>
        <IntegrationsPage />
      </MemoryRouter>
    </Provider>,
  );
};

const subscription = { id: 's1', url: 'https://hooks.example.com/de', description: 'CRM mirror', topics: ['deals.*'], status: 'active', cursor: 4, created_by: 'u-admin', created_at: '2026-12-01T09:00:00.000Z', updated_at: '2026-12-01T09:00:00.000Z' };
const delivery = (id, status, extra = {}) => ({
  id,
  subscription_id: 's1',
  event_id: 7,
  webhook_id: `msg_${id}`,
  topic: 'deals.created',
  status,
  attempts: 3,
  response_status: null,
  error: 'connection refused',
  duration_ms: 2,
  next_attempt_at: status === 'retrying' ? '2026-12-04T10:00:00.000Z' : null,
  created_at: '2026-12-04T09:00:00.000Z',
  updated_at: '2026-12-04T09:01:00.000Z',
  ...extra,
});

describe('Integrations page: webhook subscriptions', () => {
  it('tells a non-admin why there is nothing to manage, and asks the server nothing', async () => {
    const calls = mockApi({});
    renderPage(operator);
    expect(screen.getByText('Webhook subscriptions are managed by administrators.')).toBeTruthy();
    expect(screen.getByText(/yours: operator/)).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'New subscription' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Subscribe' })).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('shows a 422 next to the URL, then the secret once with a copy button', async () => {
    let list = [];
    const calls = mockApi({
      'GET /webhook-subscriptions': () => [200, { items: list, next_cursor: null }],
      'POST /webhook-subscriptions': (c) => {
        if (!c.body.url.startsWith('http')) return problem(422, 'Validation failed', 'the body has errors', { errors: [{ field: 'url', message: 'must be an http:// or https:// URL with a host' }] });
        const created = { ...subscription, url: c.body.url, topics: c.body.topics, description: c.body.description };
        list = [created];
        return [201, { ...created, secret: 'whsec_c2VjcmV0LW9uY2U=' }];
      },
    });
    renderPage(admin);
    await screen.findByText('No webhook subscriptions yet');
    const form = screen.getByRole('form', { name: 'New subscription' });
    fireEvent.click(within(form).getByRole('button', { name: 'Subscribe' }));
    expect(await within(form).findByText('Give at least one topic pattern, such as deals.* or *.')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    fireEvent.change(within(form).getByLabelText('URL'), { target: { value: 'ftp://nowhere' } });
    fireEvent.change(within(form).getByLabelText('Topics'), { target: { value: 'deals.*, leads.scored deals.*' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Subscribe' }));
    expect(await within(form).findByText('must be an http:// or https:// URL with a host')).toBeTruthy();
    expect(within(form).getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');

    fireEvent.change(within(form).getByLabelText('URL'), { target: { value: 'https://hooks.example.com/de' } });
    fireEvent.change(within(form).getByLabelText(/^Description/), { target: { value: 'CRM mirror' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Subscribe' }));
    expect((await screen.findByLabelText('The signing secret')).textContent).toBe('whsec_c2VjcmV0LW9uY2U=');
    expect(calls.at(-1).body).toEqual({ url: 'https://hooks.example.com/de', topics: ['deals.*', 'leads.scored'], description: 'CRM mirror' });
    expect(screen.getByRole('button', { name: 'Copy secret' })).toBeTruthy();
    const row = screen.getByRole('row', { name: /hooks\.example\.com/ });
    expect(within(row).getByText('leads.scored')).toBeTruthy();
    expect(within(row).queryByText(/whsec_/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'I have stored it' }));
    expect(screen.queryByText('whsec_c2VjcmV0LW9uY2U=')).toBeNull();
  });

  it('pauses and resumes, rotates the secret after a confirmation (shown once), deletes after a confirmation', async () => {
    const calls = mockApi({
      'GET /webhook-subscriptions': () => [200, { items: [subscription], next_cursor: null }],
      'PATCH /webhook-subscriptions/s1': (c) => [200, { ...subscription, status: c.body.status }],
      'POST /webhook-subscriptions/s1/rotate-secret': () => [200, { ...subscription, secret: 'whsec_bmV3LXNlY3JldA==' }],
      'DELETE /webhook-subscriptions/s1': () => [204],
    });
    renderPage(admin);
    const url = subscription.url;
    fireEvent.click(await screen.findByRole('button', { name: `Pause ${url}` }));
    await screen.findByRole('button', { name: `Resume ${url}` });
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { status: 'paused' } });
    expect(within(screen.getByRole('row', { name: /hooks\.example\.com/ })).getByText('paused')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: `Resume ${url}` }));
    await screen.findByRole('button', { name: `Pause ${url}` });
    expect(calls.at(-1).body).toEqual({ status: 'active' });

    fireEvent.click(screen.getByRole('button', { name: `Rotate the secret of ${url}` }));
    expect(calls.filter((c) => c.url.endsWith('rotate-secret'))).toHaveLength(0);
    fireEvent.click(within(screen.getByRole('group', { name: `Rotate the secret of ${url}?` })).getByRole('button', { name: 'Rotate' }));
    expect((await screen.findByLabelText('The signing secret')).textContent).toBe('whsec_bmV3LXNlY3JldA==');
    expect(screen.getByText(/Copy the new signing secret/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: `Delete ${url}` }));
    const ask = screen.getByRole('group', { name: `Delete ${url}?` });
    fireEvent.click(within(ask).getByRole('button', { name: 'Keep' }));
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: `Delete ${url}` }));
    fireEvent.click(within(screen.getByRole('group', { name: `Delete ${url}?` })).getByRole('button', { name: 'Delete' }));
    await screen.findByText('No webhook subscriptions yet');
    expect(calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/webhook-subscriptions/s1' });
  });

  it('shows the delivery log, filters the dead letters and redelivers one', async () => {
    const all = [delivery('d1', 'retrying', { attempts: 2 }), delivery('d2', 'dead', { attempts: 11, response_status: 503, error: 'Service Unavailable' }), delivery('d3', 'delivered', { attempts: 1, response_status: 200, error: null })];
    const calls = mockApi({
      'GET /webhook-subscriptions': () => [200, { items: [subscription], next_cursor: null }],
      'GET /webhook-subscriptions/s1/deliveries': (c) => [200, { items: all.filter((d) => !c.params.status || d.status === c.params.status), next_cursor: null }],
      'POST /webhook-subscriptions/s1/deliveries/d2/redeliver': () => [202, { ...all[1], status: 'retrying', attempts: 12, next_attempt_at: '2026-12-04T11:00:00.000Z' }],
    });
    renderPage(admin);
    fireEvent.click(await screen.findByRole('button', { name: `Deliveries of ${subscription.url}` }));
    const log = await screen.findByRole('region', { name: `Deliveries of ${subscription.url}` });
    await within(log).findByText('msg_d1', { exact: false });
    const retrying = within(log).getByRole('row', { name: /msg_d1/ });
    expect(within(retrying).getByText('retrying')).toBeTruthy();
    expect(within(retrying).getByText('connection refused')).toBeTruthy();
    expect(within(retrying).getByText('2')).toBeTruthy();
    expect(within(within(log).getByRole('row', { name: /msg_d2/ })).getByText('HTTP 503')).toBeTruthy();

    fireEvent.change(within(log).getByLabelText('Show'), { target: { value: 'dead' } });
    await waitFor(() => expect(within(log).queryByRole('row', { name: /msg_d1/ })).toBeNull());
    expect(calls.at(-1)).toMatchObject({ url: '/webhook-subscriptions/s1/deliveries', params: { status: 'dead', limit: 100 } });
    const dead = within(log).getByRole('row', { name: /msg_d2/ });
    expect(within(dead).getByText('dead')).toBeTruthy();
    expect(within(dead).getByText('11')).toBeTruthy();

    fireEvent.click(within(dead).getByRole('button', { name: 'Redeliver msg_d2' }));
    await within(dead).findByText('retrying');
    expect(within(dead).getByText('12')).toBeTruthy();
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/webhook-subscriptions/s1/deliveries/d2/redeliver' });
  });
});

const slack = {
  id: 'i1',
  name: 'Sales Slack',
  type: 'slack',
  config: { base_url: 'https://slack.com/api', default_channel: '#sales' },
  credentials_set: ['bot_token', 'signing_secret'],
  is_active: true,
  last_sync: null,
  last_test: null,
  created_by: 'u-manager',
  created_at: '2026-12-01T09:00:00.000Z',
  updated_at: '2026-12-01T09:00:00.000Z',
};
const emptyConflicts = { 'GET /sync-conflicts': () => [200, { items: [], next_cursor: null }] };

const salesforce = { ...slack, id: 'i-sf', name: 'Org Salesforce', type: 'salesforce', config: { instance_url: 'https://acme.my.salesforce.com' },
  credentials_set: ['client_id', 'client_secret'] };

describe('Integrations page: a person signs in to Salesforce', () => {
  it('sends the browser to the authorize URL the server gives', async () => {
    const calls = mockApi({
      'GET /integrations': () => [200, { items: [salesforce, slack], next_cursor: null }], ...emptyConflicts,
      'POST /integrations/i-sf/consent': () => [200, { authorize_url: 'https://login.salesforce.com/services/oauth2/authorize?state=s', redirect_uri: 'x', expires_at: 'y' }],
    });
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    try {
      renderPage(manager, 'connected');
      fireEvent.click(await screen.findByRole('button', { name: 'Sign in to Salesforce for Org Salesforce' }));
      await waitFor(() => expect(assign).toHaveBeenCalledWith('https://login.salesforce.com/services/oauth2/authorize?state=s'));
      expect(calls.some((c) => c.method === 'POST' && c.url === '/integrations/i-sf/consent')).toBe(true);
      expect(screen.queryByRole('button', { name: 'Sign in to Salesforce for Sales Slack' })).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('says how the consent went when Salesforce sends the person back', async () => {
    mockApi({ 'GET /integrations': () => [200, { items: [salesforce], next_cursor: null }], ...emptyConflicts });
    setSession(signedIn(manager));
    render(
      <Provider store={makeStore()}>
        <MemoryRouter initialEntries={['/integrations?tab=connected&integration=i-sf&consent=refused&reason=end-user%20denied%20authorization']}>
          <IntegrationsPage />
        </MemoryRouter>
      </Provider>,
    );
    expect(await screen.findByText('The consent for Org Salesforce was refused at Salesforce: end-user denied authorization. Sign in to Salesforce again to retry.')).toBeTruthy();
  });
});

describe('Integrations page: connected integrations', () => {
  it('lets a viewer read the list and offers no action', async () => {
    mockApi({ 'GET /integrations': () => [200, { items: [slack], next_cursor: null }], ...emptyConflicts });
    renderPage(viewer, 'connected');
    const row = await screen.findByRole('row', { name: /Sales Slack/ });
    expect(within(row).getByText('Slack')).toBeTruthy();
    expect(within(row).getAllByText('never')).toHaveLength(2);
    for (const label of ['Connect', 'Test Sales Slack', 'Edit Sales Slack', 'Delete Sales Slack']) expect(screen.queryByRole('button', { name: label })).toBeNull();
    expect(screen.getByText(/your role can see them/)).toBeTruthy();
    expect(await screen.findByText('None: every synced field agrees on both sides.')).toBeTruthy();
  });

  it('connects a Jira: the fields follow the type, credentials are password inputs, a 422 shows on its field', async () => {
    let list = [];
    const calls = mockApi({
      'GET /integrations': () => [200, { items: list, next_cursor: null }],
      'POST /integrations': (c) => {
        if (!c.body.config.base_url?.startsWith('https://'))
          return problem(422, 'Validation failed', 'the body has errors', { errors: [{ field: 'config.base_url', message: 'must be an http:// or https:// URL with a host' }] });
        const created = { ...slack, id: 'i2', name: c.body.name, type: 'jira', config: c.body.config, credentials_set: Object.keys(c.body.credentials) };
        list = [created];
        return [201, created];
      },
      ...emptyConflicts,
    });
    renderPage(manager, 'connected');
    await screen.findByText('No integrations connected');
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    const form = screen.getByRole('form', { name: 'Connect an integration' });
    expect(within(form).getByLabelText('Instance URL')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText('Type'), { target: { value: 'jira' } });
    expect(within(form).queryByLabelText('Instance URL')).toBeNull();
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Product Jira' } });
    fireEvent.change(within(form).getByLabelText('Site URL'), { target: { value: 'acme.atlassian.net' } });
    fireEvent.change(within(form).getByLabelText(/^Project key/), { target: { value: 'PROD' } });
    expect(within(form).getByLabelText('API token').getAttribute('type')).toBe('password');
    expect(within(form).getByLabelText('Account email').getAttribute('type')).toBe('password');
    fireEvent.change(within(form).getByLabelText('Account email'), { target: { value: 'bot@acme.com' } });
    fireEvent.change(within(form).getByLabelText('API token'), { target: { value: 'atl-token' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Connect' }));
    expect(await within(form).findByText('must be an http:// or https:// URL with a host')).toBeTruthy();
    expect(within(form).getByLabelText('Site URL').getAttribute('aria-invalid')).toBe('true');

    fireEvent.change(within(form).getByLabelText('Site URL'), { target: { value: 'https://acme.atlassian.net' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Connect' }));
    await screen.findByText('Product Jira was connected. Test it to check the credentials.');
    expect(calls.at(-1).body).toEqual({ name: 'Product Jira', type: 'jira', config: { base_url: 'https://acme.atlassian.net', project_key: 'PROD' }, credentials: { email: 'bot@acme.com', api_token: 'atl-token' } });
    expect(screen.getByRole('row', { name: /Product Jira/ })).toBeTruthy();
  });

  it('tests in place and shows each check, then the row shows the recorded last test', async () => {
    const report = { ok: false, checks: [{ name: 'connect', passed: true, detail: 'TLS verified' }, { name: 'auth.test', passed: false, detail: 'invalid_auth' }], latency_ms: 84 };
    mockApi({
      'GET /integrations': () => [200, { items: [slack], next_cursor: null }],
      'POST /integrations/i1/test': () => [200, report],
      'GET /integrations/i1': () => [200, { ...slack, last_test: { ok: false, detail: 'auth.test: invalid_auth', at: new Date().toISOString() } }],
      ...emptyConflicts,
    });
    renderPage(manager, 'connected');
    fireEvent.click(await screen.findByRole('button', { name: 'Test Sales Slack' }));
    const result = await screen.findByRole('status', { name: 'Test result' });
    expect(within(result).getByText('The test failed')).toBeTruthy();
    expect(within(result).getByText('in 84 ms')).toBeTruthy();
    expect(within(result).getByText('invalid_auth', { exact: false }).closest('li').className).toBe('check-failed');
    expect(within(result).getByText('TLS verified', { exact: false }).closest('li').className).toBe('check-passed');
    const row = screen.getByRole('row', { name: /Sales Slack/ });
    await within(row).findByText('auth.test: invalid_auth');
    expect(within(row).getByText('failed')).toBeTruthy();
  });

  it('edits with credentials shown as set; replacing one sends only that one', async () => {
    const calls = mockApi({
      'GET /integrations': () => [200, { items: [slack], next_cursor: null }],
      'PATCH /integrations/i1': (c) => [200, { ...slack, name: c.body.name, config: { base_url: slack.config.base_url }, is_active: c.body.is_active }],
      ...emptyConflicts,
    });
    renderPage(admin, 'connected');
    fireEvent.click(await screen.findByRole('button', { name: 'Edit Sales Slack' }));
    const form = screen.getByRole('form', { name: 'Edit Sales Slack' });
    expect(within(form).getByLabelText(/^Default channel/).value).toBe('#sales');
    expect(within(form).getAllByText('set')).toHaveLength(2);
    expect(within(form).queryByLabelText('Bot token')).toBeNull();
    fireEvent.click(within(form).getByRole('button', { name: 'Replace Bot token' }));
    fireEvent.change(within(form).getByLabelText('Bot token'), { target: { value: 'xoxb-new' } });
    fireEvent.change(within(form).getByLabelText(/^Default channel/), { target: { value: '' } });
    fireEvent.click(within(form).getByRole('checkbox', { name: /^Active/ }));
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit Sales Slack' })).toBeNull());
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', url: '/integrations/i1' });
    expect(calls.at(-1).body).toEqual({ name: 'Sales Slack', config: { base_url: 'https://slack.com/api', default_channel: null }, credentials: { bot_token: 'xoxb-new' }, is_active: false });
    expect(within(screen.getByRole('row', { name: /Sales Slack/ })).getByText('inactive')).toBeTruthy();
  });

  it('says sync and conflicts are not available when the server has no such routes', async () => {
    mockApi({ 'GET /integrations': () => [200, { items: [slack], next_cursor: null }] });
    renderPage(manager, 'connected');
    expect(await screen.findByText('Sync conflicts are not available on this server.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Sync of Sales Slack' }));
    expect(await screen.findByText('Sync is not available on this server.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('syncs now, lists the runs with their counts, and resolves an open conflict', async () => {
    let runs = [];
    const conflict = { id: 'c1', integration_id: 'i1', entity_type: 'lead', record_id: 'L-7', field: 'email', local_value: 'a@acme.com', remote_value: 'b@acme.com', status: 'open', created_at: '2026-12-04T09:00:00.000Z' };
    const calls = mockApi({
      'GET /integrations': () => [200, { items: [{ ...slack, type: 'hubspot', name: 'CRM' }], next_cursor: null }],
      'GET /integrations/i1/sync-runs': () => [200, { items: runs, next_cursor: null }],
      'POST /integrations/i1/sync': () => {
        runs = [{ id: 'r1', status: 'completed', started_at: '2026-12-04T09:00:00.000Z', pulled: 12, pushed: 3, conflicts: 1 }];
        return [202, runs[0]];
      },
      'GET /sync-conflicts': () => [200, { items: [conflict], next_cursor: null }],
      'POST /sync-conflicts/c1/resolve': () => [200, { ...conflict, status: 'resolved' }],
    });
    renderPage(manager, 'connected');
    fireEvent.click(await screen.findByRole('button', { name: 'Sync of CRM' }));
    const panel = await screen.findByRole('region', { name: 'Sync of CRM' });
    await within(panel).findByText('No sync has run yet.');
    fireEvent.click(within(panel).getByRole('button', { name: 'Sync now' }));
    expect(await within(panel).findByText(/pulled 12 · pushed 3 · conflicts 1/)).toBeTruthy();

    const row = screen.getByRole('row', { name: /lead L-7/ });
    expect(within(row).getByText('a@acme.com')).toBeTruthy();
    expect(within(row).getByText('b@acme.com')).toBeTruthy();
    fireEvent.click(within(row).getByRole('button', { name: 'Take theirs for email of lead L-7' }));
    await screen.findByText('None: every synced field agrees on both sides.');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/sync-conflicts/c1/resolve', body: { value: 'remote' } });
  });

  it('says so when the server has no integrations API yet', async () => {
    mockApi({});
    renderPage(manager, 'connected');
    expect(await screen.findByText('Connected integrations are not available on this server yet.')).toBeTruthy();
  });
});
