// Companies (docs/sales.md, "Companies"): the organisations leads and deals belong to, found by
// name; people who may manage leads add, change and delete them. A CRM integration whose
// mapping names companies keeps them in step with HubSpot or Salesforce.
import { useCallback, useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { api, problemOf } from '../../services/api.js';
import { recordActions } from '../../services/recordActions.js';
import { allowed } from '../auth/authSlice.js';
import { Empty, ErrorBanner, Field, Loading, PageHeader } from '../../components/ui.jsx';
import { attributeSummary, companyBody } from './companies.js';

const blank = { name: '', domain: '', industry: '', owner: '' };

function CompanyForm({ initial, onSubmit, onCancel, label, creating }) {
  const [form, setForm] = useState(initial);
  const [problem, setProblem] = useState(null);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const idOf = (key) => `${label.toLowerCase().replaceAll(' ', '-')}-${key}`;
  const submit = async (event) => {
    event.preventDefault();
    setProblem(null);
    try {
      await onSubmit(companyBody(form, creating));
      if (creating) setForm(blank);
    } catch (error) {
      setProblem(problemOf(error));
    }
  };
  const text = (key, title, optional = true, hint = undefined) => (
    <Field id={idOf(key)} label={title} optional={optional} hint={hint} error={problem?.fields?.[key]}>
      {(props) => <input {...props} value={form[key]} onChange={set(key)} />}
    </Field>
  );
  return (
    <form className="card" aria-label={label} onSubmit={submit}>
      {text('name', 'Name', false)}
      {text('domain', 'Domain', true, 'Such as example.com')}
      {text('industry', 'Industry')}
      {text('owner', 'Owner')}
      {problem && !Object.keys(problem.fields ?? {}).length && <ErrorBanner message={problem.message} />}
      <button type="submit" className="button primary">{label}</button>{' '}
      {onCancel && <button type="button" className="button ghost" onClick={onCancel}>Cancel</button>}
    </form>
  );
}

export default function CompaniesPage() {
  const user = useSelector((s) => s.auth.user);
  const canManage = allowed(user, 'manageLeads');
  const [search, setSearch] = useState('');
  const [state, setState] = useState({ items: [], next: null, loading: true, problem: null });
  const [selected, setSelected] = useState(null);
  const [editing, setEditing] = useState(false);

  const load = useCallback(async (cursor = null) => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const params = { limit: 100, ...(search.trim() ? { name: search.trim() } : {}), ...(cursor ? { cursor } : {}) };
      const { data } = await api.get('/companies', { params });
      setState((s) => ({ items: cursor ? [...s.items, ...data.items] : data.items, next: data.next_cursor, loading: false, problem: null }));
    } catch (error) {
      setState((s) => ({ ...s, loading: false, problem: problemOf(error) }));
    }
  }, [search]);
  useEffect(() => { load(); }, [load]);

  const { create, change, remove } = recordActions({
    path: '/companies', selected, load, onChanged: () => setEditing(false), onRemoved: () => setSelected(null),
    onProblem: (problem) => setState((s) => ({ ...s, problem })),
  });

  const current = state.items.find((c) => c.id === selected) ?? null;
  return (
    <>
      <PageHeader title="Companies" subtitle="The organisations your leads and deals belong to; synced with a CRM when its mapping names companies." />
      <form className="card filters" role="search" aria-label="Find companies" onSubmit={(e) => e.preventDefault()}>
        <Field id="company-search" label="Name contains" optional>
          {(props) => <input {...props} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </Field>
      </form>
      {state.problem && <ErrorBanner message={state.problem.message} onRetry={() => load()} />}
      {current && (
        <section className="card" aria-label={`Company ${current.name}`}>
          <div className="card-head">
            <h2>{current.name}</h2>
            {current.industry && <span className="badge">{current.industry}</span>}
          </div>
          <p>{current.domain || 'No domain'} · {current.owner ? `owned by ${current.owner}` : 'no owner'}</p>
          {attributeSummary(current.attributes).length > 0 && (
            <ul>{attributeSummary(current.attributes).map((line) => <li key={line}>{line}</li>)}</ul>
          )}
          {canManage && !editing && (
            <p>
              <button type="button" className="button secondary small" onClick={() => setEditing(true)}>Edit</button>{' '}
              <button type="button" className="button danger small" onClick={remove}>Delete</button>
            </p>
          )}
          {editing && (
            <CompanyForm label="Save company" initial={{ name: current.name, domain: current.domain, industry: current.industry, owner: current.owner }}
              onSubmit={change} onCancel={() => setEditing(false)} creating={false} />
          )}
        </section>
      )}
      {!state.loading && !state.problem && state.items.length === 0 ? (
        <Empty title={search.trim() ? 'No company has that in its name' : 'No companies yet'} icon="users">
          {search.trim() ? 'Try a shorter part of the name.' : 'Add one below, or sync them from HubSpot or Salesforce (Integrations).'}
        </Empty>
      ) : (
        <div className="card table-card">
          <table>
            <caption className="sr-only">Companies, by name</caption>
            <thead>
              <tr><th scope="col">Company</th><th scope="col">Domain</th><th scope="col">Industry</th><th scope="col">Owner</th><th scope="col">Details</th></tr>
            </thead>
            <tbody>
              {state.items.map((c) => (
                <tr key={c.id} aria-selected={c.id === selected}>
                  <td>
                    <button type="button" className="button link small" onClick={() => { setSelected(c.id); setEditing(false); }}>{c.name}</button>
                  </td>
                  <td>{c.domain || '—'}</td>
                  <td>{c.industry || '—'}</td>
                  <td>{c.owner || '—'}</td>
                  <td>{attributeSummary(c.attributes).slice(0, 2).join(' · ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {state.loading && <Loading what="Loading companies" />}
          {state.next && !state.loading && (
            <button type="button" className="button secondary" onClick={() => load(state.next)}>Load more</button>
          )}
        </div>
      )}
      {canManage && <CompanyForm label="Add company" initial={blank} onSubmit={create} creating />}
    </>
  );
}
