// A test run of one version of a prompt: a form made from its variables (typed inputs),
// "Preview" renders it (anyone), "Run" sends it to a model (operators and up) and shows the
// answer with its provider, model, tokens, cost and latency. Errors naming a variable
// ("variables.budget") are shown next to its input.
import { useEffect, useState } from 'react';
import { api, problemOf } from '../../services/api.js';
import { FieldError, formatDuration } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import { OtherProblems } from './parts.jsx';
import { loadProviders } from './ProvidersSection.jsx';
import { blankValue, collectValues, fieldErrors, formatCount, formatUsd, normalizeVariables, providerLabels, runErrors } from './prompts.js';

const noErrors = { variables: {}, fields: {}, other: {} };

function VariableInput({ variable, value, error, onChange }) {
  const id = `run-var-${variable.name}`;
  const common = { id, 'aria-invalid': !!error, 'aria-describedby': error ? `${id}-error` : `${id}-hint` };
  const hints = {
    string: 'Text.',
    number: 'A number, e.g. 1200 or 0.5.',
    boolean: 'True when ticked.',
    json: 'Any JSON value: an object, a list, a string in quotes, …',
  };
  if (variable.type === 'boolean')
    return (
      <div className="field run-var">
        <label className="check run-check" htmlFor={id}>
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
          <span>
            <span className="mono">{variable.name}</span> <span className="type-tag">boolean</span>
          </span>
        </label>
        {error ? <FieldError id={`${id}-error`} message={error} /> : <span className="field-hint" id={`${id}-hint`}>{hints.boolean}</span>}
      </div>
    );
  return (
    <div className="field run-var">
      <label htmlFor={id}>
        <span className="mono">{variable.name}</span> <span className="type-tag">{variable.type}</span>
      </label>
      {variable.type === 'number' ? (
        <input {...common} type="number" step="any" inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} />
      ) : variable.type === 'json' ? (
        <textarea {...common} className="code-input" rows={3} spellCheck={false} value={value} placeholder='{"plan": "pro"}' onChange={(e) => onChange(e.target.value)} />
      ) : (
        <textarea {...common} rows={2} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
      {error ? <FieldError id={`${id}-error`} message={error} /> : <span className="field-hint" id={`${id}-hint`}>{hints[variable.type] ?? hints.string}</span>}
    </div>
  );
}

export default function TestRun({ prompt, version, canRun }) {
  const variables = normalizeVariables(version?.variables);
  const [raw, setRaw] = useState({});
  const [errors, setErrors] = useState(noErrors);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(null); // 'preview' | 'run' | null
  const [preview, setPreview] = useState(null);
  const [answer, setAnswer] = useState(null);
  const [providers, setProviders] = useState([]);
  const [provider, setProvider] = useState('');
  const [model, setModel] = useState('');

  // Another version: keep what was typed for the variables it shares, forget the results.
  useEffect(() => {
    setRaw((r) => Object.fromEntries(variables.map((v) => [v.name, typeof r[v.name] === typeof blankValue(v.type) ? r[v.name] : blankValue(v.type)])));
    setErrors(noErrors);
    setProblem(null);
    setPreview(null);
    setAnswer(null);
  }, [prompt.id, version?.version]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!canRun) return undefined;
    let gone = false;
    loadProviders()
      .then((data) => {
        if (gone) return;
        const order = data.fallback_order ?? [];
        const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
        setProviders([...(data.items ?? [])].sort((a, b) => rank(a.name) - rank(b.name)));
      })
      .catch(() => {}); // no provider list (an older server): the run uses the fallback order
    return () => {
      gone = true;
    };
  }, [canRun]);

  const change = (name, value) => {
    setRaw((r) => ({ ...r, [name]: value }));
    setErrors((e) => (e.variables[name] ? { ...e, variables: { ...e.variables, [name]: undefined } } : e));
  };

  const send = async (what) => {
    const { values, errors: local } = collectValues(variables, raw);
    if (Object.keys(local).length) {
      setErrors(runErrors(local));
      setProblem({ message: 'Some variables need attention.' });
      return;
    }
    setBusy(what);
    setProblem(null);
    setErrors(noErrors);
    try {
      if (what === 'preview') {
        const { data } = await api.post(`/prompts/${prompt.id}/render`, { variables: values, version: version.version });
        setPreview(data);
      } else {
        const body = { prompt: { name: prompt.name, version: version.version, variables: values } };
        if (provider) body.provider = provider;
        if (provider && model.trim()) body.model = model.trim();
        setAnswer(null);
        const { data } = await api.post('/ai/chat', body);
        setAnswer(data);
      }
    } catch (err) {
      const p = problemOf(err);
      setErrors(runErrors(fieldErrors(err)));
      setProblem(what === 'run' && p.status === 404 ? { ...p, message: 'Running a prompt is not available on this server yet.' } : p);
    } finally {
      setBusy(null);
    }
  };

  // A variable the server names that this version does not have ("the template has no such variable").
  const stray = Object.fromEntries(Object.entries(errors.variables).filter(([name, message]) => message && !variables.some((v) => v.name === name)).map(([name, message]) => [`variables.${name}`, message]));
  const chosen = providers.find((p) => p.name === provider);
  const usable = providers.filter((p) => p.configured);

  return (
    <section className="card test-run" aria-labelledby="test-run-title">
      <div className="card-head">
        <h3 id="test-run-title">Test run</h3>
        <span className="muted small">version {version?.version}</span>
      </div>
      <form
        noValidate
        aria-labelledby="test-run-title"
        onSubmit={(e) => {
          e.preventDefault();
          send('preview');
        }}
      >
        {variables.length === 0 ? (
          <p className="muted small">This version has no variables.</p>
        ) : (
          <fieldset className="plain run-vars" aria-describedby={errors.fields.variables ? 'run-vars-error' : undefined}>
            <legend className="sr-only">Variables</legend>
            {variables.map((v) => (
              <VariableInput key={v.name} variable={v} value={raw[v.name] ?? blankValue(v.type)} error={errors.variables[v.name]} onChange={(value) => change(v.name, value)} />
            ))}
            <FieldError id="run-vars-error" message={errors.fields.variables} />
          </fieldset>
        )}
        {canRun && (
          <div className="run-options">
            <div className="field">
              <label htmlFor="run-provider">Provider</label>
              <select
                id="run-provider"
                value={provider}
                onChange={(e) => {
                  setProvider(e.target.value);
                  setModel('');
                }}
                aria-invalid={!!errors.fields.provider}
                aria-describedby={errors.fields.provider ? 'run-provider-error' : undefined}
              >
                <option value="">Automatic (fallback order)</option>
                {usable.map((p) => (
                  <option key={p.name} value={p.name}>
                    {providerLabels[p.name] ?? p.name}
                  </option>
                ))}
              </select>
              <FieldError id="run-provider-error" message={errors.fields.provider} />
            </div>
            <div className="field">
              <label htmlFor="run-model">
                Model<span className="optional">optional</span>
              </label>
              <input
                id="run-model"
                className="mono"
                value={model}
                disabled={!provider}
                placeholder={chosen?.default_model ?? 'the provider’s default'}
                onChange={(e) => setModel(e.target.value)}
                aria-invalid={!!errors.fields.model}
                aria-describedby={errors.fields.model ? 'run-model-error' : 'run-model-hint'}
              />
              {errors.fields.model ? <FieldError id="run-model-error" message={errors.fields.model} /> : <span className="field-hint" id="run-model-hint">{provider ? 'Empty: its default model.' : 'Choose a provider first.'}</span>}
            </div>
          </div>
        )}
        {problem && (
          <div className="alert save-problem" role="alert">
            <div>
              <span>{problem.message}</span>
              {errors.fields.version && <span> Version: {errors.fields.version}</span>}
              <OtherProblems errors={{ ...stray, ...errors.other }} />
            </div>
          </div>
        )}
        <div className="row">
          <button className="button secondary" type="submit" disabled={!!busy}>
            <Icon name="sparkle" size={15} /> {busy === 'preview' ? 'Rendering…' : 'Preview'}
          </button>
          {canRun && (
            <button className="button primary" type="button" disabled={!!busy} onClick={() => send('run')}>
              <Icon name="play" size={15} /> {busy === 'run' ? 'Running…' : 'Run'}
            </button>
          )}
        </div>
      </form>

      <div className="run-results" aria-live="polite" aria-busy={!!busy}>
        {preview && (
          <section className="run-result" aria-labelledby="preview-title">
            <h4 id="preview-title">
              Preview <span className="muted small">{preview.name} · version {preview.version}</span>
            </h4>
            <pre className="rendered" aria-label="Rendered prompt" tabIndex={0}>
              {preview.text}
            </pre>
          </section>
        )}
        {answer && (
          <section className="run-result answer" aria-labelledby="answer-title">
            <h4 id="answer-title">Answer</h4>
            <pre className="rendered answer-text" aria-label="The model's answer" tabIndex={0}>
              {answer.content || '(no text)'}
            </pre>
            <dl className="facts compact run-facts">
              <div>
                <dt>Provider</dt>
                <dd>{answer.provider}</dd>
              </div>
              <div>
                <dt>Model</dt>
                <dd className="truncate mono" title={answer.model}>
                  {answer.model}
                </dd>
              </div>
              <div>
                <dt>Tokens in</dt>
                <dd>{formatCount(answer.usage?.input_tokens)}</dd>
              </div>
              <div>
                <dt>Tokens out</dt>
                <dd>{formatCount(answer.usage?.output_tokens)}</dd>
              </div>
              <div>
                <dt>Cost</dt>
                <dd>{formatUsd(answer.cost_usd)}</dd>
              </div>
              <div>
                <dt>Latency</dt>
                <dd>{formatDuration(answer.latency_ms)}</dd>
              </div>
              <div>
                <dt>Attempts</dt>
                <dd>{answer.attempts ?? '—'}</dd>
              </div>
            </dl>
          </section>
        )}
      </div>
    </section>
  );
}
