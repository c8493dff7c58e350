import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import RequirementsPage from './RequirementsPage.jsx';
import { highlightPieces } from './requirements.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { mockApi, problem, signedIn, viewer } from '../../test/mockApi.js';

const item = {
  id: 'R1',
  text: 'The Café page should load fast.',
  kind: 'non_functional',
  category: 'performance',
  confidence: 0.82,
  ambiguities: [
    { start: 14, end: 20, text: 'should', type: 'uncertain_verb', reason: 'uncertain verb: it leaves open whether the behaviour is required', suggestion: "Use 'shall'." },
    { start: 26, end: 30, text: 'fast', type: 'subjective', reason: 'subjective', suggestion: "Replace 'fast' with a measurable criterion." },
  ],
  user_story: 'As a user (the requirement names no actor: confirm the role), I want the Café page to load fast, so that ….',
  acceptance_criteria: ['Given the Café page is in operation, when the behaviour is exercised, then the Café page loads fast.'],
  duplicates: [],
  conflicts: ['R2'],
};

const renderPage = () => {
  setSession(signedIn(viewer));
  render(<Provider store={makeStore()}><MemoryRouter><RequirementsPage /></MemoryRouter></Provider>);
};

describe('highlightPieces', () => {
  it('cuts by code points and skips overlapping spans', () => {
    const pieces = highlightPieces('😀 shall be fast', [
      { start: 2, end: 7, type: 'x' },
      { start: 4, end: 9, type: 'overlaps' },
      { start: 11, end: 15, type: 'y' },
    ]);
    expect(pieces.map((p) => [p.text, p.ambiguity?.type ?? null])).toEqual([
      ['😀 ', null], ['shall', 'x'], [' be ', null], ['fast', 'y'],
    ]);
  });
});

describe('RequirementsPage', () => {
  it('sends the pasted text and shows each requirement with its class, confidence and highlighted ambiguities', async () => {
    const calls = mockApi({
      'POST /requirements/analyze': () => [200, { items: [item], summary: { total: 1, functional: 0, non_functional: 1, with_ambiguities: 1, duplicate_pairs: 0, conflict_pairs: 1 } }],
    });
    renderPage();
    fireEvent.change(screen.getByLabelText('Requirements document'), { target: { value: '1. The Café page should load fast.' } });
    fireEvent.click(screen.getByRole('button', { name: /Analyse/ }));
    const card = await screen.findByRole('article', { name: 'Requirement R1' });
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/requirements/analyze', body: { text: '1. The Café page should load fast.' } });
    expect(within(card).getByText('Non-functional: performance · 82%')).toBeTruthy();
    const marks = card.querySelectorAll('mark.ambiguity');
    expect([...marks].map((m) => m.textContent)).toEqual(['should', 'fast']);
    expect(marks[0].getAttribute('title')).toMatch(/^uncertain verb: /);
    expect(within(card).getByText("Replace 'fast' with a measurable criterion.")).toBeTruthy();
    expect(within(card).getByText('Conflicts with R2.')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toMatch(/1 requirements: 0 functional, 1 non-functional/);
  });

  it('says which requirements a configured model classified, with its reason, and when the model failed', async () => {
    const byModel = { ...item, id: 'R2', kind: 'functional', category: null, confidence: 0.12,
      classified_by: { method: 'model', model: 'openai/gpt-4o-mini', reason: 'It describes a behaviour.' },
      rewrite: 'The Café page shall load within [to be agreed: seconds].' };
    mockApi({
      'POST /requirements/analyze': () => [200, {
        items: [{ ...item, classified_by: { method: 'classifier' } }, byModel],
        summary: { total: 2, functional: 1, non_functional: 1, classified_by_model: 1, with_ambiguities: 2, duplicate_pairs: 0, conflict_pairs: 1 },
        model_error: 'openai: 429 rate limited',
      }],
    });
    renderPage();
    fireEvent.change(screen.getByLabelText('Requirements document'), { target: { value: '1. a\n2. b' } });
    fireEvent.click(screen.getByRole('button', { name: /Analyse/ }));
    const card = await screen.findByRole('article', { name: 'Requirement R2' });
    expect(card.querySelector('.req-model').textContent).toBe(
      'Classified by openai/gpt-4o-mini: It describes a behaviour. (the built-in classifier gives this class 12%)');
    expect(card.querySelector('.req-rewrite').textContent).toBe(
      'Rewritten by openai/gpt-4o-mini: The Café page shall load within [to be agreed: seconds].');
    const r1 = screen.getByRole('article', { name: 'Requirement R1' });
    expect(r1.querySelector('.req-model')).toBeNull();
    expect(r1.querySelector('.req-rewrite')).toBeNull();
    expect(screen.getByRole('status').textContent).toMatch(/; 1 classified by the configured model\.$/);
    expect(screen.getByRole('note').textContent).toMatch(/^The model could not help \(openai: 429 rate limited\)/);
  });

  it('reads an uploaded text file into the document and refuses a binary one next to the field', async () => {
    const calls = mockApi({
      'POST /requirements/analyze': () => [200, { items: [item], summary: { total: 1, functional: 0, non_functional: 1, with_ambiguities: 1, duplicate_pairs: 0, conflict_pairs: 1 } }],
    });
    renderPage();
    const input = screen.getByLabelText('Or upload a file (.txt, .md)');
    const markdown = new File(['# Café\n\n1. The Café page should load fast.\n'], 'cafe.md', { type: 'text/markdown' });
    fireEvent.change(input, { target: { files: [markdown] } });
    await waitFor(() => expect(screen.getByLabelText('Requirements document').value).toBe('# Café\n\n1. The Café page should load fast.\n'));
    fireEvent.click(screen.getByRole('button', { name: /Analyse/ }));
    await screen.findByRole('article', { name: 'Requirement R1' });
    expect(calls.at(-1).body).toEqual({ text: '# Café\n\n1. The Café page should load fast.\n' });

    const pdf = new File([new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe])], 'spec.pdf', { type: 'application/pdf' });
    fireEvent.change(input, { target: { files: [pdf] } });
    expect(await screen.findByText('spec.pdf is not plain text or Markdown: save it as text first')).toBeTruthy();
    expect(screen.getByLabelText('Requirements document').value).toBe('# Café\n\n1. The Café page should load fast.\n');
  });

  it('shows the server\'s message for the text next to the field', async () => {
    mockApi({
      'POST /requirements/analyze': () => problem(422, 'Validation failed', 'text: must not be empty', { errors: [{ field: 'text', message: 'must not be empty' }] }),
    });
    renderPage();
    fireEvent.click(screen.getByRole('button', { name: /Analyse/ }));
    expect(await screen.findByText('must not be empty')).toBeTruthy();
    expect(screen.getByLabelText('Requirements document').getAttribute('aria-invalid')).toBe('true');
  });
});
