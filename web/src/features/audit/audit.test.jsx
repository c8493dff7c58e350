import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import AuditPage, { auditQuery } from './AuditPage.jsx';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, problem, signedIn } from '../../test/mockApi.js';

const entry = (id, action, extra = {}) => ({
  id, at: `2026-12-04T10:0${id % 10}:00.000Z`, actor_type: 'user', actor_id: 'u-admin', actor_email: 'admin@example.com',
  api_key_id: null, actor_ip: '198.51.100.7', request_id: `req-${id}`, action, target_type: 'user', target_id: 'u-alice-0001',
  outcome: 'success', details: {}, ...extra,
});

const renderPage = () => {
  setSession(signedIn(admin));
  render(<Provider store={makeStore()}><MemoryRouter><AuditPage /></MemoryRouter></Provider>);
};

describe('AuditPage', () => {
  it('lists who did what, newest first, and pages to older entries with the cursor', async () => {
    const calls = mockApi({
      'GET /audit': (c) =>
        c.params.cursor === 'c2'
          ? [200, { items: [entry(1, 'users.created')], next_cursor: null }]
          : [200, { items: [entry(3, 'users.role_changed', { details: { before: ['viewer'], after: ['manager'] } }), entry(2, 'auth.login_failed', { actor_type: 'anonymous', actor_id: null, actor_email: null, outcome: 'failure' })], next_cursor: 'c2' }],
    });
    renderPage();
    const changed = (await screen.findByText('users.role_changed')).closest('tr');
    expect(within(changed).getByText('admin@example.com')).toBeTruthy();
    expect(within(changed).getByText('198.51.100.7')).toBeTruthy();
    expect(within(changed).getByText('success')).toBeTruthy();
    const failed = screen.getByText('auth.login_failed').closest('tr');
    expect(within(failed).getByText('anonymous')).toBeTruthy();
    expect(within(failed).getByText('failure')).toBeTruthy();
    expect(within(failed).queryByRole('button')).toBeNull(); // no details to show

    fireEvent.click(within(changed).getByRole('button', { name: /^Details of users.role_changed/ }));
    expect(await screen.findByText(/"manager"/)).toBeTruthy();
    expect(screen.getByText('Request req-3 (as in the server log)')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Show older entries' }));
    await screen.findByText('users.created');
    expect(calls.at(-1).params).toEqual({ limit: 50, cursor: 'c2' });
    expect(screen.getByText('users.role_changed')).toBeTruthy(); // appended, not replaced
    expect(screen.queryByRole('button', { name: 'Show older entries' })).toBeNull();
  });

  it('sends the filters the API knows and says when nothing matches', async () => {
    const calls = mockApi({
      'GET /audit': (c) => [200, { items: c.params.action_prefix ? [] : [entry(1, 'auth.login')], next_cursor: null }],
    });
    renderPage();
    await screen.findByText('auth.login');
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'api_keys.' } });
    fireEvent.change(screen.getByLabelText('Who'), { target: { value: '  ops@example.com ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await screen.findByText('Nothing matches these filters');
    expect(calls.at(-1).params).toEqual({ action_prefix: 'api_keys.', actor: 'ops@example.com', limit: 50 });
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('auth.login');
    expect(calls.at(-1).params).toEqual({ limit: 50 });
  });

  it('turns a day into the start of that day and leaves empty filters out', () => {
    expect(auditQuery({ action_prefix: '', actor: ' ', since: '' })).toEqual({});
    const since = auditQuery({ action_prefix: 'users.', actor: '', since: '2026-12-01' }).since;
    expect(new Date(since).getTime()).toBe(new Date(2026, 11, 1).getTime());
  });

  it('shows a refusal as a readable error', async () => {
    mockApi({ 'GET /audit': () => problem(403, 'Forbidden', 'your role does not allow this action') });
    renderPage();
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('your role does not allow this action'));
  });
});
