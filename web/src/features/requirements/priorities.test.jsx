import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import RequirementsPage from './RequirementsPage.jsx';
import { priorityChanges, riceScore } from './requirements.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { mockApi, operator, signedIn, viewer } from '../../test/mockApi.js';

const priority = {
  reach: 1000, impact: 2, confidence: 0.9, effort: 1.5, score: 1200, moscow: 'must', method: 'rules', overridden: [],
  reasoning: [{ factor: 'reach', why: 'applies to \'all users\'' }, { factor: 'moscow', why: "the text says 'must'" }],
};
const item = {
  id: 'R1', text: 'All users must see their orders.', kind: 'functional', category: null, confidence: 0.9,
  ambiguities: [], user_story: 'As a user, I want to see my orders.', acceptance_criteria: ['Given ...'],
  duplicates: [], conflicts: [], priority,
};
const summary = { total: 1, functional: 1, non_functional: 0, with_ambiguities: 0, duplicate_pairs: 0, conflict_pairs: 0,
  by_moscow: { must: 1, should: 0, could: 0, wont: 0 } };
const saved = (version, items, extra = {}) => ({
  id: 'a-1', title: 'Shop', version, latest_version: version, document: '1. All users must see their orders.', items, summary,
  versions: Array.from({ length: version }, (_, i) => ({ version: i + 1, requirements: 1 })), ...extra,
});

const renderPage = (user) => {
  setSession(signedIn(user));
  render(<Provider store={makeStore()}><MemoryRouter><RequirementsPage /></MemoryRouter></Provider>);
};

describe('riceScore and priorityChanges', () => {
  it('computes the score as the server does', () => {
    expect(riceScore({ reach: 1000, impact: 2, confidence: 0.9, effort: 1.5 })).toBe(1200);
    expect(riceScore({ reach: 7, impact: 0.5, confidence: 0.33, effort: 3 })).toBe(0.39);
  });

  it('keeps only the changed values, as numbers, and names bad ones', () => {
    const form = { reach: '5000', impact: '2', confidence: '0.9', effort: '1.5', moscow: 'could' };
    expect(priorityChanges(form, priority)).toEqual({ values: { reach: 5000, moscow: 'could' }, errors: {} });
    const bad = priorityChanges({ reach: '-1', impact: '1.5', confidence: '2', effort: '', moscow: 'maybe' }, priority);
    expect(Object.keys(bad.errors).sort()).toEqual(['confidence', 'effort', 'impact', 'moscow', 'reach']);
  });
});

describe('RequirementsPage with priorities and saved analyses', () => {
  it('saves an analysis, shows the RICE score and MoSCoW, and sends a person\'s values', async () => {
    const calls = mockApi({
      'GET /requirements': () => [200, { items: [], next_cursor: null }],
      'POST /requirements': () => [201, saved(1, [item])],
      'PATCH /requirements/a-1/items/R1': () => [200, saved(1, [{ ...item, priority: { ...priority, reach: 5000, score: 6000, overridden: ['reach'] } }])],
    });
    renderPage(operator);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Shop' } });
    fireEvent.change(screen.getByLabelText('Requirements document'), { target: { value: '1. All users must see their orders.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save analysis' }));
    const card = await screen.findByRole('article', { name: 'Requirement R1' });
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ title: 'Shop', text: '1. All users must see their orders.' });
    expect(within(card).getByText(/RICE 1200 · Must/)).toBeTruthy();
    expect(screen.getByRole('status').textContent).toMatch(/1 Must, 0 Should/);

    fireEvent.click(within(card).getByRole('button', { name: 'Edit R1' }));
    fireEvent.change(within(card).getByLabelText('Reach'), { target: { value: '5000' } });
    expect(within(card).getByText('RICE score with these values: 6000')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Save R1' }));
    expect(await screen.findByText(/RICE 6000 · Must/)).toBeTruthy();
    expect(calls.at(-2)).toMatchObject({ method: 'PATCH', url: '/requirements/a-1/items/R1', body: { priority: { reach: 5000 } } });
    expect(screen.getByText(/set by a person: reach/)).toBeTruthy();
  });

  it('opens a saved analysis, saves an edited document as a new version and reads an older one', async () => {
    const calls = mockApi({
      'GET /requirements': () => [200, { items: [{ id: 'a-1', title: 'Shop', version: 1 }], next_cursor: null }],
      'GET /requirements/a-1': (call) => [200, call.params.version === '1' ? saved(1, [item], { latest_version: 2 }) : saved(1, [item])],
      'POST /requirements/a-1/versions': () => [201, saved(2, [item], { document: 'edited' })],
    });
    renderPage(operator);
    fireEvent.click(await screen.findByRole('button', { name: 'Shop' }));
    await screen.findByRole('article', { name: 'Requirement R1' });
    fireEvent.change(screen.getByLabelText('Requirements document'), { target: { value: 'edited' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as a new version' }));
    await screen.findByRole('option', { name: '2 (1 requirements)' });
    expect(calls.find((c) => c.url === '/requirements/a-1/versions').body).toEqual({ text: 'edited', title: 'Shop' });
    fireEvent.change(screen.getByLabelText('Version'), { target: { value: '1' } });
    await screen.findByRole('option', { name: '1 (1 requirements)', selected: true });
    // An older version is read-only.
    expect(screen.queryByRole('button', { name: 'Edit R1' })).toBeNull();
  });

  it('offers a viewer neither saving nor prioritising', async () => {
    mockApi({ 'GET /requirements': () => [200, { items: [], next_cursor: null }] });
    renderPage(viewer);
    expect(await screen.findByRole('button', { name: /Analyse/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Save analysis' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Prioritise' })).toBeNull();
  });
});
