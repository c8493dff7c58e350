import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import { configureStore } from '@reduxjs/toolkit';
import authReducer from '../auth/authSlice.js';
import { mockApi, operator, problem, viewer } from '../../test/mockApi.js';
import PipelinePage from './PipelinePage.jsx';
import { columnsOf, formatMoney, neighbour } from './pipeline.js';

afterEach(cleanup);

const forecast = {
  as_of: '2030-01-01T00:00:00.000Z', by: 'stage', currency: 'USD',
  open: { count: 3, amount: '3500.00', weighted: '1900.50' },
  groups: [
    { key: 'prospecting', count: 2, amount: '1500.00', weighted: '600.00' },
    { key: 'engaging', count: 1, amount: '2000.00', weighted: '1300.50' },
  ],
  stage_probabilities: [
    { stage: 'prospecting', probability: 0.4, fixed_weight: 0.333, reached: 5, won: 2 },
    { stage: 'engaging', probability: 0.65, fixed_weight: 0.667, reached: 4, won: 3 },
  ],
  win_rate: 0.6, closed: { won: 3, lost: 2, won_amount: '300.00' }, average_cycle_days: 12.4,
  stale: { threshold_days: 60, count: 1, amount: '500.00', deals: [] }, other_currencies: {},
};
const deal = (id, name, stage, amount) => ({ id, name, stage, amount, currency: 'USD', account: 'Acme', owner: 'ann' });
const deals = {
  prospecting: [deal('d1', 'Big one', 'prospecting', '1000.00')],
  engaging: [deal('d2', 'Renewal', 'engaging', '2000.00')],
};

function renderAs(user, routes = {}) {
  const calls = mockApi({
    'GET /pipeline/forecast': () => [200, forecast],
    'GET /deals': (call) => [200, { items: deals[call.params.stage] ?? [], next_cursor: null }],
    ...routes,
  });
  const store = configureStore({ reducer: { auth: authReducer }, preloadedState: { auth: { user, status: 'idle', error: null, reason: null } } });
  render(
    <Provider store={store}>
      <MemoryRouter>
        <PipelinePage />
      </MemoryRouter>
    </Provider>,
  );
  return calls;
}

describe('pipeline helpers', () => {
  it('formats exact decimal strings as money', () => {
    expect(formatMoney('2750982.00')).toBe('$2,750,982');
    expect(formatMoney('12.5', 'EUR', { cents: true })).toBe('€12.50');
    expect(formatMoney(null)).toBe('—');
  });
  it('makes columns of the open stages, then won and lost', () => {
    const columns = columnsOf(forecast);
    expect(columns.map((c) => c.stage)).toEqual(['prospecting', 'engaging', 'won', 'lost']);
    expect(columns[1]).toMatchObject({ count: 1, amount: '2000.00', probability: 0.65, open: true });
    expect(columns[2]).toMatchObject({ count: 3, open: false });
    expect(neighbour(['a', 'b', 'c'], 'b', 1)).toBe('c');
    expect(neighbour(['a', 'b', 'c'], 'a', -1)).toBeNull();
  });
});

describe('PipelinePage', () => {
  it('shows the forecast totals and the open deals by stage with learnt probabilities', async () => {
    const calls = renderAs(viewer);
    expect(await screen.findByText('$3,500')).toBeTruthy();
    expect(screen.getByText('$1,901')).toBeTruthy();
    expect(screen.getByText('60%')).toBeTruthy();
    const engaging = screen.getByRole('region', { name: 'Engaging' });
    expect(within(engaging).getByText('Renewal')).toBeTruthy();
    expect(within(engaging).getByText(/65% win/)).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Prospecting' })).getByText('and 1 smaller deals')).toBeTruthy();
    expect(screen.queryByRole('combobox')).toBeNull();
    expect(calls.filter((c) => c.url === '/deals').map((c) => c.params)).toEqual([
      { stage: 'prospecting', sort: '-amount', limit: 50 },
      { stage: 'engaging', sort: '-amount', limit: 50 },
    ]);
  });

  it('moves a deal with its stage menu and announces it', async () => {
    const calls = renderAs(operator, { 'PATCH /deals/d2': () => [200, { ...deals.engaging[0], stage: 'won' }] });
    const menu = await screen.findByRole('combobox', { name: 'Stage of Renewal' });
    fireEvent.change(menu, { target: { value: 'won' } });
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Moved Renewal to Won.'));
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ url: '/deals/d2', body: { stage: 'won' } });
  });

  it('moves a deal to the next stage with Alt+Right on its card', async () => {
    const calls = renderAs(operator, { 'PATCH /deals/d1': () => [200, { ...deals.prospecting[0], stage: 'engaging' }] });
    const card = await screen.findByRole('article', { name: 'Big one, $1,000' });
    fireEvent.keyDown(card, { key: 'ArrowRight', altKey: true });
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ stage: 'engaging' });
  });

  it('moves a deal dropped on another column', async () => {
    const calls = renderAs(operator, { 'PATCH /deals/d1': () => [200, { ...deals.prospecting[0], stage: 'lost' }] });
    const card = await screen.findByRole('article', { name: 'Big one, $1,000' });
    const dragged = {};
    const dataTransfer = { setData: (type, value) => (dragged[type] = value), getData: (type) => dragged[type] };
    fireEvent.dragStart(card, { dataTransfer });
    const lost = screen.getByRole('region', { name: 'Lost' });
    fireEvent.dragOver(lost, { dataTransfer });
    fireEvent.drop(lost, { dataTransfer });
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ stage: 'lost' }));
  });

  it('says why a move was refused', async () => {
    renderAs(operator, { 'PATCH /deals/d2': () => problem(403, 'Forbidden', 'your role may not change deals') });
    fireEvent.change(await screen.findByRole('combobox', { name: 'Stage of Renewal' }), { target: { value: 'lost' } });
    expect(await screen.findByText(/Renewal was not moved/)).toBeTruthy();
  });
});
