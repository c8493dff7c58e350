// Create a prompt template, or a new version of one: the template, its typed variables, and
// (for a version) whether it becomes the active one. A 422's errors[] are shown next to the
// field they name (name, description, template, variables, variables[i].name|type), with
// aria-invalid and aria-describedby, as in the workflow editor; a change takes its message away.
import { useId, useMemo, useRef, useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { Field, FieldError } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { OtherProblems } from './parts.jsx';
import { fieldErrors, formErrors, normalizeVariables, placeholders, promptNameProblem, variableNameProblem, variableTypes } from './prompts.js';

const noErrors = { fields: {}, rows: {}, other: {} };
let nextKey = 1;
const row = (name = '', type = 'string') => ({ key: nextKey++, name, type });

export default function PromptForm({ mode = 'create', prompt = null, initial = null, onSaved, onCancel }) {
  const uid = `pf${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const creating = mode === 'create';
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [template, setTemplate] = useState(initial?.template ?? '');
  const [rows, setRows] = useState(() => normalizeVariables(initial?.variables).map((v) => row(v.name, v.type)));
  const [activate, setActivate] = useState(true);
  const [errors, setErrors] = useState(noErrors);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const form = useRef(null);

  const used = useMemo(() => placeholders(template), [template]);
  const declared = rows.map((r) => r.name.trim()).filter(Boolean);
  const undeclared = used.filter((n) => !declared.includes(n));
  const unused = declared.filter((n) => !used.includes(n));

  const clearField = (field) => setErrors((e) => (e.fields[field] ? { ...e, fields: { ...e.fields, [field]: undefined } } : e));
  const clearRow = (key, part) => setErrors((e) => (e.rows[key]?.[part] ? { ...e, rows: { ...e.rows, [key]: { ...e.rows[key], [part]: undefined } } } : e));
  const setRow = (key, patch) => {
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
    for (const part of Object.keys(patch)) clearRow(key, part);
    clearField('variables');
  };
  const declareUsed = () => {
    setRows((rs) => [...rs.filter((r) => r.name.trim()), ...undeclared.map((n) => row(n))]);
    clearField('variables');
    clearField('template');
  };

  const showFirstProblem = () =>
    setTimeout(() => {
      form.current?.querySelector('[aria-invalid="true"]')?.focus();
    }, 0);

  const submit = async (e) => {
    e.preventDefault();
    const local = { fields: {}, rows: {}, other: {} };
    if (creating) {
      const why = promptNameProblem(name);
      if (why) local.fields.name = why;
    }
    if (!template.trim()) local.fields.template = 'Write the template: text with {{placeholders}}.';
    for (const r of rows) {
      const why = variableNameProblem(r.name);
      if (why) local.rows[r.key] = { name: why };
    }
    if (Object.keys(local.fields).length || Object.keys(local.rows).length) {
      setErrors(local);
      setProblem({ message: 'Some fields need attention.' });
      showFirstProblem();
      return;
    }
    const sentKeys = rows.map((r) => r.key);
    const variables = rows.map((r) => ({ name: r.name.trim(), type: r.type }));
    setBusy(true);
    try {
      const { data } = creating
        ? await api.post('/prompts', { name: name.trim(), description: description.trim(), template, variables })
        : await api.post(`/prompts/${prompt.id}/versions`, { template, variables, activate });
      setErrors(noErrors);
      setProblem(null);
      onSaved(data, { activated: creating || activate });
    } catch (err) {
      setErrors(formErrors(fieldErrors(err), sentKeys));
      setProblem(problemOf(err));
      showFirstProblem();
    } finally {
      setBusy(false);
    }
  };

  const f = (key) => `${uid}-${key}`;
  const title = creating ? 'New prompt' : `New version of ${prompt?.name}`;
  const variablesDescribed = errors.fields.variables ? f('variables-error') : f('variables-hint');

  return (
    <form ref={form} className="card prompt-form" aria-label={title} onSubmit={submit} noValidate>
      <div className="card-head">
        <h3>{title}</h3>
        {!creating && <span className="muted small">Versions are immutable: saving adds version {(prompt?.versions?.length ?? 0) + 1}.</span>}
      </div>
      <div className="form-grid">
        {creating && (
          <>
            <Field id={f('name')} label="Name" error={errors.fields.name} hint="Lowercase letters, digits, '_', '.' and '-', e.g. lead.summary. Agents and workflows ask for it by this name.">
              {(p) => (
                <input
                  {...p}
                  className="mono"
                  value={name}
                  maxLength={100}
                  autoFocus
                  autoCapitalize="off"
                  spellCheck={false}
                  onChange={(e) => {
                    setName(e.target.value);
                    clearField('name');
                  }}
                />
              )}
            </Field>
            <Field id={f('description')} label="Description" optional error={errors.fields.description}>
              {(p) => (
                <input
                  {...p}
                  value={description}
                  maxLength={2000}
                  onChange={(e) => {
                    setDescription(e.target.value);
                    clearField('description');
                  }}
                />
              )}
            </Field>
          </>
        )}
        <Field id={f('template')} label="Template" error={errors.fields.template} className="span-2" hint="The text sent to the model; {{name}} is replaced by the variable of that name.">
          {(p) => (
            <textarea
              {...p}
              className="code-input template-input"
              rows={8}
              autoFocus={!creating}
              spellCheck={false}
              value={template}
              onChange={(e) => {
                setTemplate(e.target.value);
                clearField('template');
                clearField('variables');
              }}
            />
          )}
        </Field>
      </div>

      <fieldset className="variables-editor" aria-describedby={variablesDescribed}>
        <legend>Variables</legend>
        {rows.length > 0 && (
          <div className="variable-head" aria-hidden="true">
            <span>Name</span>
            <span>Type</span>
          </div>
        )}
        <ol className="variable-rows">
          {rows.map((r, i) => {
            const rowErrors = errors.rows[r.key] ?? {};
            return (
              <li key={r.key} className="variable-row">
                <div className="field">
                  <label htmlFor={f(`var-${r.key}-name`)} className="sr-only">
                    Name of variable {i + 1}
                  </label>
                  <input
                    id={f(`var-${r.key}-name`)}
                    className="mono"
                    value={r.name}
                    maxLength={64}
                    placeholder="e.g. company"
                    autoCapitalize="off"
                    spellCheck={false}
                    onChange={(e) => setRow(r.key, { name: e.target.value })}
                    aria-invalid={!!rowErrors.name}
                    aria-describedby={rowErrors.name ? f(`var-${r.key}-name-error`) : undefined}
                  />
                  <FieldError id={f(`var-${r.key}-name-error`)} message={rowErrors.name} />
                </div>
                <div className="field">
                  <label htmlFor={f(`var-${r.key}-type`)} className="sr-only">
                    Type of variable {i + 1}
                  </label>
                  <select
                    id={f(`var-${r.key}-type`)}
                    value={r.type}
                    onChange={(e) => setRow(r.key, { type: e.target.value })}
                    aria-invalid={!!rowErrors.type}
                    aria-describedby={rowErrors.type ? f(`var-${r.key}-type-error`) : undefined}
                  >
                    {variableTypes.map((t) => (
                      <option key={t}>{t}</option>
                    ))}
                  </select>
                  <FieldError id={f(`var-${r.key}-type-error`)} message={rowErrors.type} />
                </div>
                <button
                  type="button"
                  className="button ghost small icon-only"
                  aria-label={`Remove variable ${i + 1}${r.name.trim() ? ` (${r.name.trim()})` : ''}`}
                  title="Remove"
                  onClick={() => {
                    setRows((rs) => rs.filter((x) => x.key !== r.key));
                    clearField('variables');
                  }}
                >
                  <Icon name="trash" size={15} />
                </button>
              </li>
            );
          })}
        </ol>
        <div className="row variables-actions">
          <button type="button" className="button secondary small" onClick={() => setRows((rs) => [...rs, row()])}>
            <Icon name="plus" size={14} /> Add a variable
          </button>
          {undeclared.length > 0 && (
            <button type="button" className="button link small" onClick={declareUsed}>
              Declare {undeclared.map((n) => `{{${n}}}`).join(', ')} (used in the template)
            </button>
          )}
        </div>
        {errors.fields.variables ? (
          <FieldError id={f('variables-error')} message={errors.fields.variables} />
        ) : (
          <span className="field-hint" id={f('variables-hint')}>
            Each variable has a type (string, number, boolean or json) and must be used in the template.
            {unused.length > 0 && ` Not used yet: ${unused.join(', ')}.`}
          </span>
        )}
      </fieldset>

      {!creating && (
        <label className="check activate-check">
          <input type="checkbox" checked={activate} onChange={(e) => setActivate(e.target.checked)} />
          <span>Make it the active version</span>
        </label>
      )}

      {problem && (
        <div className="alert save-problem" role="alert">
          <div>
            <strong>Not saved. </strong>
            <span>{problem.message}</span>
            <OtherProblems errors={errors.other} />
          </div>
        </div>
      )}
      <div className="row">
        <button className="button primary" type="submit" disabled={busy}>
          <Icon name="check" size={16} /> {busy ? 'Saving…' : creating ? 'Create prompt' : 'Save version'}
        </button>
        <button className="button secondary" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
