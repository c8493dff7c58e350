import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import StakeholdersPage from './StakeholdersPage.jsx';
import { gridOf, quadrantOf, topicsOf } from './stakeholders.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, signedIn, viewer } from '../../test/mockApi.js';

const ada = { id: 's-1', name: 'Ada', role: 'CFO', influence: 5, interest: 5, quadrant: 'manage_closely', channel: 'email', topics: ['billing'] };
const bob = { id: 's-2', name: 'Bob', role: '', influence: 1, interest: 4, quadrant: 'keep_informed', channel: 'slack', topics: [] };
const draft = { id: 'u-1', stakeholder_id: 's-1', quadrant: 'manage_closely', subject: 'Decision needed: 1 point since 2026-11-26',
  body: "Ada (CFO),\n\n- Deal 'Acme' moved from proposal to lost", event_ids: [3], method: 'rules', provider: null, status: 'draft',
  created_at: '2026-12-03T10:00:00Z' };

const renderPage = (user) => {
  setSession(signedIn(user));
  render(<Provider store={makeStore()}><MemoryRouter><StakeholdersPage /></MemoryRouter></Provider>);
};

describe('the grid helpers', () => {
  it('puts 3 and above on the high side', () => {
    expect(quadrantOf(3, 3)).toBe('manage_closely');
    expect(quadrantOf(4, 2)).toBe('keep_satisfied');
    expect(quadrantOf(2, 4)).toBe('keep_informed');
    expect(quadrantOf(2, 2)).toBe('monitor');
  });

  it('groups by quadrant, by name, and reads topics', () => {
    const grid = gridOf([{ ...ada, name: 'Zoe' }, ada, bob, { id: 's-3', name: 'Cy', influence: 4, interest: 1 }]);
    expect(grid.manage_closely.map((s) => s.name)).toEqual(['Ada', 'Zoe']);
    expect(grid.keep_satisfied.map((s) => s.name)).toEqual(['Cy']);
    expect(grid.monitor).toEqual([]);
    expect(topicsOf(' billing, checkout ,, ')).toEqual(['billing', 'checkout']);
  });
});

describe('StakeholdersPage', () => {
  it('shows the grid with a text alternative, adds a stakeholder and drafts an update', async () => {
    let list = [ada, bob];
    const calls = mockApi({
      'GET /stakeholders': () => [200, { items: list, next_cursor: null }],
      'GET /stakeholders/updates': () => [200, { items: calls.some((c) => c.method === 'POST' && c.url === '/stakeholders/updates') ? [draft] : [], next_cursor: null }],
      'POST /stakeholders': (call) => { list = [...list, { ...call.body, id: 's-3', quadrant: 'monitor' }]; return [201, list.at(-1)]; },
      'POST /stakeholders/updates': () => [200, { drafts: [draft], skipped: [{ stakeholder_id: 's-2', reason: 'nothing changed since 2026-11-26T00:00:00Z' }] }],
    });
    renderPage(admin);
    const closely = await screen.findByRole('region', { name: /Manage closely/ });
    expect(within(closely).getByRole('button', { name: 'Ada' })).toBeTruthy();
    expect(within(screen.getByRole('region', { name: /Keep informed/ })).getByRole('button', { name: 'Bob' })).toBeTruthy();
    const table = screen.getByRole('table', { name: 'Stakeholders as a table' });
    expect(within(table).getByRole('row', { name: /Bob.*1.*4.*Keep informed/ })).toBeTruthy();

    const form = screen.getByRole('form', { name: 'Add stakeholder' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Cy' } });
    fireEvent.change(within(form).getByLabelText(/Topics/), { target: { value: 'checkout, billing' } });
    fireEvent.change(within(form).getByLabelText(/Influence/), { target: { value: '2' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add stakeholder' }));
    expect(await within(screen.getByRole('region', { name: /Monitor/ })).findByRole('button', { name: 'Cy' })).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST' && c.url === '/stakeholders').body)
      .toEqual({ name: 'Cy', role: '', influence: 2, interest: 3, channel: 'email', contact: null, topics: ['checkout', 'billing'] });

    fireEvent.click(within(closely).getByRole('button', { name: 'Ada' }));
    fireEvent.click(screen.getByRole('button', { name: 'Draft an update' }));
    expect(await screen.findByText(/1 drafted, 1 skipped: nothing changed/)).toBeTruthy();
    expect(calls.find((c) => c.method === 'POST' && c.url === '/stakeholders/updates').body).toEqual({ stakeholder_ids: ['s-1'] });
    expect((await screen.findAllByText(/Decision needed: 1 point/)).length).toBeGreaterThan(0);
  });

  it('sends a draft, says where it went, and shows why one could not go', async () => {
    let sent = false;
    const calls = mockApi({
      'GET /stakeholders': () => [200, { items: [{ ...ada, contact: 'ada@example.com' }, bob], next_cursor: null }],
      'GET /stakeholders/updates': () => [200, {
        items: [sent ? { ...draft, status: 'sent', sent_at: '2026-12-03T11:00:00Z' } : draft, { ...draft, id: 'u-2', stakeholder_id: 's-2' }],
        next_cursor: null }],
      'POST /stakeholders/updates/u-1/send': () => { sent = true; return [200, { ...draft, status: 'sent', delivery: { message_id: '<m-1@example.com>' } }]; },
      'POST /stakeholders/updates/u-2/send': () => [409, { type: 'https://digital-enterprise.dev/problems/conflict', title: 'Conflict', status: 409,
        detail: 'no active slack integration sends this: connect one (POST /api/v1/integrations)' }],
    });
    renderPage(admin);
    const updates = await screen.findByRole('region', { name: 'Updates' });
    const buttons = await within(updates).findAllByRole('button', { name: 'Send' });
    fireEvent.click(buttons[0]);
    expect(await screen.findByText('Sent "Decision needed: 1 point since 2026-11-26" to Ada by email (<m-1@example.com>).')).toBeTruthy();
    expect(calls.find((c) => c.url === '/stakeholders/updates/u-1/send').body).toEqual({});
    expect(await within(updates).findByRole('listitem', { name: /^Sent: / })).toBeTruthy();
    fireEvent.click(within(updates).getByRole('button', { name: 'Send' }));
    expect(await screen.findByText(/no active slack integration sends this/)).toBeTruthy();
  });

  it('offers a viewer no changes', async () => {
    mockApi({
      'GET /stakeholders': () => [200, { items: [ada], next_cursor: null }],
      'GET /stakeholders/updates': () => [200, { items: [draft], next_cursor: null }],
    });
    renderPage(viewer);
    fireEvent.click(await screen.findByRole('button', { name: 'Ada' }));
    expect(screen.queryByRole('button', { name: 'Draft an update' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Add stakeholder' })).toBeNull();
    expect((await screen.findAllByText(/Decision needed: 1 point/)).length).toBeGreaterThan(0);
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
  });
});
