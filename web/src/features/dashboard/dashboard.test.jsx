import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import { fetchSummary } from './dashboardSlice.js';
import Dashboard, { StalledQueue } from './Dashboard.jsx';
import { makeStore } from '../../store.js';
import { mockApi, problem } from '../../test/mockApi.js';

const summary = {
  tasks_by_status: { pending: 0, queued: 2, running: 1, completed: 45, failed: 5, cancelled: 0 },
  tasks_total: 53,
  success_rate: 0.9,
  latency_ms: { p50: 12.4, p95: 1840 },
  agents_by_status: { idle: 3, busy: 1, paused: 0, stopped: 0, offline: 0, error: 0 },
  queue_depth: 2,
  pipeline_value: null,
  weighted_pipeline_value: null,
  campaign_roi: null,
  leads_scored: null,
};

describe('dashboard', () => {
  it('keeps the summary and a sample of it per fetch', async () => {
    mockApi({ 'GET /analytics/summary': () => [200, summary] });
    const store = makeStore();
    await store.dispatch(fetchSummary());
    expect(store.getState().dashboard.summary).toEqual(summary);
    expect(store.getState().dashboard.samples).toEqual([expect.objectContaining({ queue: 2, running: 1, success: 0.9 })]);
  });

  it('asks once when fetches overlap', async () => {
    const calls = mockApi({ 'GET /analytics/summary': () => [200, summary] });
    const store = makeStore();
    await Promise.all([store.dispatch(fetchSummary()), store.dispatch(fetchSummary())]);
    expect(calls).toHaveLength(1);
  });

  it('shows the KPIs, and room for the business figures', async () => {
    mockApi({ 'GET /analytics/summary': () => [200, summary] });
    const store = makeStore();
    await store.dispatch(fetchSummary());
    render(<Provider store={store}><MemoryRouter><Dashboard /></MemoryRouter></Provider>);
    const kpis = screen.getByRole('region', { name: 'Key figures' });
    expect(within(kpis).getByText('53')).toBeTruthy();
    expect(within(kpis).getByText('90.0%')).toBeTruthy();
    expect(within(kpis).getByText('12 ms')).toBeTruthy();
    expect(within(kpis).getByText('1.84 s')).toBeTruthy();
    const business = screen.getByRole('region', { name: 'Business' });
    expect(within(business).getAllByText('—')).toHaveLength(3);
    expect(within(business).getAllByText('Available when the sales agent is enabled')).toHaveLength(2);
    expect(within(business).getByText('Available when the marketing agent is enabled')).toBeTruthy();
    expect(screen.getByRole('img', { name: /Success rate 90.0%: 45 completed, 5 failed/ })).toBeTruthy();
  });

  it('shows an error with a retry when the summary fails', async () => {
    mockApi({ 'GET /analytics/summary': () => problem(500, 'Internal Server Error', 'the database is unavailable') });
    const store = makeStore();
    await store.dispatch(fetchSummary());
    render(<Provider store={store}><MemoryRouter><Dashboard /></MemoryRouter></Provider>);
    expect(screen.getByRole('alert').textContent).toContain('the database is unavailable');
    expect(screen.getByRole('button', { name: /Try again/ })).toBeTruthy();
  });
});

describe('the stalled queue', () => {
  it('lists waiting tasks no agent can take, by type, with why and a link to them', () => {
    render(
      <MemoryRouter>
        <StalledQueue
          rows={[
            { type: 'no.such.type', waiting: 3, code: 'no_capable_agent', agent_id: null },
            { type: 'sales.score_lead', waiting: 1, code: 'agent_stopped', agent_id: 'a-sales' },
          ]}
        />
      </MemoryRouter>,
    );
    const list = screen.getByRole('region', { name: 'Waiting with no agent to run them' });
    expect(within(list).getByRole('link', { name: 'no.such.type' }).getAttribute('href')).toBe('/tasks?type=no.such.type&status=queued');
    expect(within(list).getByText(/no agent can run this type/)).toBeTruthy();
    expect(within(list).getByRole('link', { name: 'start it' }).getAttribute('href')).toBe('/agents');
  });

  it('shows nothing when every waiting task has an agent', () => {
    const { container } = render(<StalledQueue rows={[]} />);
    expect(container.innerHTML).toBe('');
  });
});
