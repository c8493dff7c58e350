import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router-dom';
import CompaniesPage from './CompaniesPage.jsx';
import { attributeSummary, companyBody } from './companies.js';
import { makeStore } from '../../store.js';
import { setSession } from '../../services/api.js';
import { admin, mockApi, problem, signedIn, viewer } from '../../test/mockApi.js';

const acme = { id: 'c-1', name: 'Acme Corporation', domain: 'acme.example', industry: 'technology', owner: '',
  attributes: { office_location: 'United States', employees: 2822, year_established: 1996 },
  created_at: '2026-12-05T10:00:00Z', updated_at: '2026-12-05T10:00:00Z' };
const beta = { ...acme, id: 'c-2', name: 'Betasoloin', domain: '', industry: 'medical', attributes: {} };

const renderPage = (user) => {
  setSession(signedIn(user));
  render(<Provider store={makeStore()}><MemoryRouter><CompaniesPage /></MemoryRouter></Provider>);
};

describe('the companies helpers', () => {
  it('sends what a new company fills in, and every field of a change', () => {
    const form = { name: ' Acme ', domain: '', industry: 'retail', owner: '' };
    expect(companyBody(form, true)).toEqual({ name: 'Acme', industry: 'retail' });
    expect(companyBody(form, false)).toEqual({ name: 'Acme', domain: '', industry: 'retail', owner: '' });
  });

  it('puts the telling attributes first and leaves out the empty ones', () => {
    expect(attributeSummary({ year_established: 1996, employees: 2822, subsidiary_of: '', office_location: 'Oslo', ticker: null }))
      .toEqual(['employees: 2,822', 'office location: Oslo', 'year established: 1,996']);
    expect(attributeSummary(undefined)).toEqual([]);
  });
});

describe('CompaniesPage', () => {
  it('finds companies by name, adds one and shows the field the server refused', async () => {
    let list = [acme, beta];
    const calls = mockApi({
      'GET /companies': (call) => [200, { items: list.filter((c) => !call.params.name || c.name.toLowerCase().includes(call.params.name.toLowerCase())), next_cursor: null }],
      'POST /companies': (call) => {
        if (call.body.domain === 'not a domain') return problem(422, 'Validation failed', 'domain must be a domain name', { errors: [{ field: 'domain', message: 'must be a domain name, such as example.com' }] });
        list = [{ ...acme, id: 'c-3', ...call.body, domain: call.body.domain ?? '', attributes: {} }, ...list];
        return [201, list[0]];
      },
    });
    renderPage(admin);
    const table = await screen.findByRole('table');
    expect(within(table).getByRole('row', { name: /Acme Corporation.*acme\.example.*technology.*employees: 2,822/ })).toBeTruthy();

    fireEvent.change(screen.getByLabelText(/Name contains/), { target: { value: 'beta' } });
    expect(await screen.findByRole('button', { name: 'Betasoloin' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Acme Corporation' })).toBeNull();
    expect(calls.at(-1).params).toEqual({ limit: 100, name: 'beta' });
    fireEvent.change(screen.getByLabelText(/Name contains/), { target: { value: '' } });

    const form = screen.getByRole('form', { name: 'Add company' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'Globex' } });
    fireEvent.change(within(form).getByLabelText(/Domain/), { target: { value: 'not a domain' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add company' }));
    expect(await within(form).findByText('must be a domain name, such as example.com')).toBeTruthy();
    fireEvent.change(within(form).getByLabelText(/Domain/), { target: { value: 'globex.example' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add company' }));
    expect(await screen.findByRole('button', { name: 'Globex' })).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST').at(-1).body).toEqual({ name: 'Globex', domain: 'globex.example' });
  });

  it('changes and deletes a company', async () => {
    let list = [acme];
    const calls = mockApi({
      'GET /companies': () => [200, { items: list, next_cursor: null }],
      'PATCH /companies/c-1': (call) => { list = [{ ...acme, ...call.body }]; return [200, list[0]]; },
      'DELETE /companies/c-1': () => { list = []; return [204]; },
    });
    renderPage(admin);
    fireEvent.click(await screen.findByRole('button', { name: 'Acme Corporation' }));
    const card = screen.getByRole('region', { name: 'Company Acme Corporation' });
    expect(within(card).getByText('employees: 2,822')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Edit' }));
    const form = screen.getByRole('form', { name: 'Save company' });
    fireEvent.change(within(form).getByLabelText(/Owner/), { target: { value: 'sam' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save company' }));
    expect(await screen.findByText(/owned by sam/)).toBeTruthy();
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ name: 'Acme Corporation', domain: 'acme.example', industry: 'technology', owner: 'sam' });
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No companies yet')).toBeTruthy();
  });

  it('offers a viewer no changes', async () => {
    mockApi({ 'GET /companies': () => [200, { items: [acme], next_cursor: null }] });
    renderPage(viewer);
    fireEvent.click(await screen.findByRole('button', { name: 'Acme Corporation' }));
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Add company' })).toBeNull();
  });
});
