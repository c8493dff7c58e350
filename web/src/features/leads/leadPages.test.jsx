import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import LeadsPage from './LeadsPage.jsx';
import ModelsPage from './ModelsPage.jsx';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, problem, signedIn, viewer } from '../../test/mockApi.js';

const renderPage = (user, Page) => {
  setSession(signedIn(user));
  return render(
    <Provider store={makeStore()}>
      <MemoryRouter>
        <Page />
      </MemoryRouter>
    </Provider>,
  );
};

const lead = (over) => ({
  id: 'l-1', external_id: null, name: 'Ana', email: '', company: 'Acme', source: '', status: 'new', owner: '',
  attributes: {}, outcome: 'open', score: 69, grade: 'A', probability: 0.69, method: 'model', score_method: 'model',
  model_id: 'm-1', score_factors: [
    { feature: 'poutcome', value: 'success', contribution: 2.649 },
    { feature: 'contact', value: null, contribution: -0.197 },
  ], ...over,
});

describe('Leads page', () => {
  it('lists leads by score, toggles the sort, and shows a lead\'s factors as a chart', async () => {
    const calls = mockApi({
      'GET /leads': (call) => [200, { items: call.params.sort === 'score' ? [lead(), lead({ id: 'l-2', name: 'Bo', score: 12 })] : [lead({ id: 'l-2', name: 'Bo', score: 12 })], next_cursor: null }],
    });
    renderPage(viewer, LeadsPage);
    expect(await screen.findByRole('button', { name: 'Ana' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Import a CSV file' })).toBeNull();  // a viewer imports nothing
    fireEvent.click(screen.getByRole('button', { name: 'Ana' }));
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe(
      'Score 69, grade A. Raised by poutcome (success) +2.649; lowered by contact (missing) -0.197.',
    );
    fireEvent.click(screen.getByRole('button', { name: /Score \(highest first\)/ }));
    await waitFor(() => expect(calls.at(-1).params.sort).toBe('created'));
    expect(await screen.findByRole('button', { name: /Score \(sort\)/ })).toBeTruthy();
  });

  it('imports a file and reports the rows it rejected, or why nothing was imported', async () => {
    const calls = mockApi({
      'GET /leads': () => [200, { items: [], next_cursor: null }],
      'POST /leads/import': (call) =>
        call.params.partial
          ? [200, { imported: 1, updated: 0, model_id: null, rejected: [{ row: 3, column: 'won', reason: "'maybe' is not an outcome" }] }]
          : problem(422, 'Validation failed', '1 rows cannot be imported', { errors: [{ field: 'row 3, column won', message: "'maybe' is not an outcome" }] }),
    });
    renderPage(admin, LeadsPage);
    const file = new File(['name,won\nA,yes\nB,maybe\n'], 'leads.csv', { type: 'text/csv' });
    fireEvent.change(screen.getByLabelText('File'), { target: { files: [file] } });
    fireEvent.change(screen.getByLabelText(/Outcome column/), { target: { value: 'won' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByText('Nothing was imported')).toBeTruthy();
    let table = screen.getByRole('table', { name: 'Rows not imported' });
    expect(within(table).getByText("'maybe' is not an outcome")).toBeTruthy();
    const sent = calls.find((c) => c.url === '/leads/import');
    expect(sent.params).toEqual({ outcome_column: 'won' });

    fireEvent.click(screen.getByRole('checkbox'));
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByText(/1 imported, 0 updated, 1 rejected/)).toBeTruthy();
    table = screen.getByRole('table', { name: 'Rows not imported' });
    expect(within(table).getByText('3')).toBeTruthy();
    expect(calls.filter((c) => c.url === '/leads/import').at(-1).params.partial).toBe('true');
  });
});

const model = (over) => ({
  id: 'm-1aaaaaaa', status: 'ready', active: true, activate: 'auto', exclude: ['duration'], task_id: 't', created_by: 'u', error: null,
  columns: [{ name: 'age', kind: 'number' }, { name: 'job', kind: 'category' }], ignored_columns: [{ name: 'duration', reason: 'excluded' }],
  importance: [{ column: 'job', share: 0.6 }, { column: 'age', share: 0.4 }],
  evaluation: { rows: 800, positives: 90, roc_auc: 0.7912, accuracy: 0.88, precision: 0.45, recall: 0.5, f1: 0.47, brier: 0.081, threshold: 0.21,
    calibration: [{ low: 0, high: 0.1, count: 600, mean_predicted: 0.05, observed_rate: 0.049 }] },
  threshold: 0.21, training_rows: 2660, validation_rows: 540, trees: 120, created_at: '2026-12-03T10:00:00Z', completed_at: null, activated_at: null,
  ...over,
});

describe('Lead models page', () => {
  it('shows the active model\'s evaluation, calibration and importance, and rolls back to another', async () => {
    const older = model({ id: 'm-2bbbbbbb', active: false, evaluation: { ...model().evaluation, roc_auc: 0.75 } });
    const calls = mockApi({
      'GET /lead-models': () => [200, { items: [model(), older], next_cursor: null }],
      'POST /lead-models/m-2bbbbbbb/activate': () => [200, { ...older, active: true, rescored: 12 }],
    });
    renderPage(admin, ModelsPage);
    expect(await screen.findByRole('heading', { name: 'Model 1aaaaaaa' })).toBeTruthy();
    const figures = screen.getByLabelText('Evaluation on the hold-out');
    expect(within(figures).getByText('0.791')).toBeTruthy();
    const charts = screen.getAllByRole('img').map((c) => c.getAttribute('aria-label'));
    expect(charts).toContain('Calibration on 800 held-out leads: 0-10 %: predicted 5.0 %, observed 4.9 % (600 leads).');
    expect(charts).toContain("Importance (share of the trees' gain): job 60 %, age 40 %.");
    fireEvent.click(screen.getByRole('button', { name: '2bbbbbbb' }));
    fireEvent.click(await screen.findByRole('button', { name: /Activate/ }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === '/lead-models/m-2bbbbbbb/activate')).toBe(true));
    await waitFor(() => expect(screen.queryByRole('button', { name: /Activate/ })).toBeNull());
  });

  it('trains a model leaving out the columns named', async () => {
    const calls = mockApi({
      'GET /lead-models': () => [200, { items: [], next_cursor: null }],
      'POST /lead-models': () => [202, model({ id: 'm-3ccccccc', status: 'training', active: false, evaluation: null })],
    });
    renderPage(admin, ModelsPage);
    expect(await screen.findByText('No model yet')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/Leave out/), { target: { value: 'duration, pdays' } });
    fireEvent.click(screen.getByRole('button', { name: 'Train' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST').body).toEqual({ exclude: ['duration', 'pdays'], activate: 'auto' }));
    expect(await screen.findByText(/Training/)).toBeTruthy();
  });
});
