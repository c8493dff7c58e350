// The pieces of the workflow editor (shown by WorkflowVisualizer for admins and managers):
// the workflow's name/status/trigger, the step toolbar (add, connect), the form of the
// selected step and the JSON of the whole definition. The definition's JSON text is the
// source of truth; every form change rewrites it through the pure helpers of graph.js.
// Server validation errors (422 `errors[]`) are shown next to the field they name, with
// aria-invalid and aria-describedby; WorkflowVisualizer also puts them on the graph nodes.
import { useState } from 'react';
import { Field, FieldError } from '../../components/ui.jsx';
import { Icon } from '../../components/icons.jsx';
import {
  approvalRoles,
  connectionKinds,
  connectionLabels,
  httpMethods,
  removeStep,
  renameStep,
  setTrigger,
  stepIdProblem,
  stepTypes,
  triggerTypes,
  updateStep,
  workflowStatuses,
  inputFromRows,
  inputRows,
} from './graph.js';

export const noErrors = { steps: {}, workflow: {} };

const workflowKeys = ['name', 'status', 'description'];
const isTriggerKey = (key) => key === 'definition.trigger' || key.startsWith('definition.trigger.');
// Errors about the definition as a whole ("definition.output", "definition.steps", …).
export const definitionErrors = (errors) => Object.entries(errors).filter(([key]) => !workflowKeys.includes(key) && !isTriggerKey(key));

export function WorkflowForm({ draft, setDraft, definition, jsonOk, change, errors, clearError, problem, saving, onSave, onCancel, onShowStep, stepErrors }) {
  const trigger = definition.trigger ?? {};
  const triggerError = Object.entries(errors)
    .filter(([key]) => isTriggerKey(key))
    .map(([key, message]) => (key === 'definition.trigger' ? message : `${key.slice('definition.trigger.'.length)}: ${message}`))
    .join(' ');
  const setField = (key, value) => {
    setDraft((d) => ({ ...d, [key]: value }));
    clearError(key);
  };
  const setTriggerSetting = (key, value) => change((d) => ({ ...d, trigger: { ...(d.trigger ?? {}), [key]: value } }));
  const stepProblems = Object.entries(stepErrors);
  return (
    <form
      className="card editor-bar"
      aria-labelledby="editor-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      <div className="card-head">
        <h2 id="editor-title">{draft.id ? 'Edit workflow' : 'New workflow'}</h2>
        <span className="muted small">Changes are kept until you save.</span>
      </div>
      <div className="editor-grid">
        <Field id="wf-name" label="Name" error={errors.name} className="span-2">
          {(p) => <input {...p} value={draft.name} maxLength={200} placeholder="e.g. Inbound lead triage" onChange={(e) => setField('name', e.target.value)} />}
        </Field>
        <Field id="wf-status" label="Status" error={errors.status} hint={draft.status === 'active' ? 'Runs when triggered.' : 'Only active workflows run.'}>
          {(p) => (
            <select {...p} value={draft.status} onChange={(e) => setField('status', e.target.value)}>
              {workflowStatuses.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field id="wf-trigger" label="Trigger" error={triggerError}>
          {(p) => (
            <select {...p} value={triggerTypes.includes(trigger.type) ? trigger.type : ''} disabled={!jsonOk} onChange={(e) => change((d) => setTrigger(d, e.target.value))}>
              {!triggerTypes.includes(trigger.type) && <option value="">{trigger.type ?? 'none'}</option>}
              {triggerTypes.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        {trigger.type === 'schedule' && (
          <>
            <Field id="wf-cron" label="Cron" hint="5 fields (minute hour day month weekday), on the time zone's clock.">
              {(p) => <input {...p} className="mono" value={trigger.cron ?? ''} disabled={!jsonOk} onChange={(e) => setTriggerSetting('cron', e.target.value)} />}
            </Field>
            <Field id="wf-timezone" label="Time zone" optional hint="UTC, an offset like +02:00, or a name like Europe/Berlin (follows daylight saving).">
              {(p) => <input {...p} className="mono" placeholder="UTC" value={trigger.timezone ?? ''} disabled={!jsonOk} onChange={(e) => setTriggerSetting('timezone', e.target.value || undefined)} />}
            </Field>
          </>
        )}
        {trigger.type === 'event' && (
          <Field id="wf-event-topic" label="Event topic" hint="A router pattern, e.g. tasks.failed">
            {(p) => <input {...p} className="mono" value={trigger.topic ?? ''} disabled={!jsonOk} onChange={(e) => setTriggerSetting('topic', e.target.value)} />}
          </Field>
        )}
        <Field id="wf-description" label="Description" optional error={errors.description} className="span-full">
          {(p) => <input {...p} value={draft.description} maxLength={5000} onChange={(e) => setField('description', e.target.value)} />}
        </Field>
      </div>
      {problem && (
        <div className="alert save-problem" role="alert">
          <div>
            <strong>Not saved. </strong>
            <span>{problem.message}</span>
            {stepProblems.length > 0 && (
              <ul className="problem-summary">
                {stepProblems.map(([id, fields]) => (
                  <li key={id}>
                    <button type="button" className="button link small" onClick={() => onShowStep(id)}>
                      Step {id}
                    </button>{' '}
                    {Object.keys(fields).join(', ')}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
      <div className="row">
        <button className="button primary" type="submit" disabled={saving || !jsonOk}>
          <Icon name="check" size={16} /> {saving ? 'Saving…' : 'Save'}
        </button>
        <button className="button secondary" type="button" onClick={onCancel}>
          Cancel
        </button>
        {!jsonOk && <span className="field-error">Fix the JSON to save.</span>}
      </div>
    </form>
  );
}

export function StepToolbar({ definition, disabled, onAdd, onConnect }) {
  const ids = (definition.steps ?? []).map((s) => s.id).filter((id) => typeof id === 'string');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const fromStep = definition.steps?.find((s) => s.id === from);
  const kinds = connectionKinds(fromStep);
  const [how, setHow] = useState('after');
  const chosenHow = kinds.includes(how) ? how : kinds[0];
  const ready = ids.includes(from) && ids.includes(to) && from !== to;
  return (
    <section className="card step-toolbar" aria-label="Add and connect steps">
      <div className="field add-step">
        <label htmlFor="wf-add-step">Add a step</label>
        <select id="wf-add-step" value="" disabled={disabled} onChange={(e) => e.target.value && onAdd(e.target.value)}>
          <option value="">Choose a type…</option>
          {stepTypes.map((t) => (
            <option key={t} value={t}>
              {t.replace('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="connect" disabled={disabled || ids.length < 2}>
        <legend>Connect steps</legend>
        <div className="connect-fields">
          <div className="field">
            <label htmlFor="wf-connect-from">From</label>
            <select
              id="wf-connect-from"
              value={from}
              onChange={(e) => {
                setFrom(e.target.value);
                setHow(connectionKinds(definition.steps?.find((s) => s.id === e.target.value))[0]);
              }}
            >
              <option value="">Step…</option>
              {ids.map((id) => (
                <option key={id}>{id}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="wf-connect-to">To</label>
            <select id="wf-connect-to" value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Step…</option>
              {ids
                .filter((id) => id !== from)
                .map((id) => (
                  <option key={id}>{id}</option>
                ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="wf-connect-how">As</label>
            <select id="wf-connect-how" value={chosenHow} onChange={(e) => setHow(e.target.value)} disabled={kinds.length < 2}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {connectionLabels[k]}
                </option>
              ))}
            </select>
          </div>
          <button className="button secondary" type="button" disabled={!ready} onClick={() => onConnect(from, to, chosenHow)}>
            <Icon name="link" size={15} /> Connect
          </button>
        </div>
      </fieldset>
    </section>
  );
}

export function DefinitionEditor({ text, onText, jsonError, errors }) {
  const general = definitionErrors(errors);
  const invalid = !!jsonError || general.length > 0;
  const format = () => {
    try {
      onText(JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      // Not JSON: nothing to format.
    }
  };
  return (
    <section className="card definition" aria-label="Definition">
      <div className="label-row">
        <label htmlFor="wf-json">JSON (docs/workflows.md)</label>
        <button type="button" className="button link small" onClick={format} disabled={!!jsonError}>
          Format
        </button>
      </div>
      <textarea id="wf-json" className="code-input" rows={16} spellCheck={false} value={text} onChange={(e) => onText(e.target.value)} aria-invalid={invalid} aria-describedby="wf-json-help" />
      <div id="wf-json-help">
        {jsonError && <p className="field-error">{jsonError} The graph shows the last valid version.</p>}
        {general.map(([field, message]) => (
          <p className="field-error" key={field}>
            <code>{field}</code>: {message}
          </p>
        ))}
        {!invalid && <p className="field-hint">The whole definition: trigger, steps (with their inputs and payloads) and output. The form and the graph follow it.</p>}
      </div>
    </section>
  );
}

// What the form offers for each type; other settings (inputs, payloads, headers, …) are
// edited in the JSON.
const typeKeys = {
  task: ['task_type', 'agent', 'input'],
  condition: ['expression', 'then', 'else'],
  parallel: ['branches'],
  delay: ['seconds'],
  approval: ['role', 'message'],
  http: ['method', 'url'],
  notify: ['topic', 'to_agent'],
  sub_workflow: ['workflow_id'],
};
const labels = { step: 'step', type: 'Type', input: 'Input', payload: 'Payload', body: 'Body', headers: 'Headers', max_attempts: 'Max attempts', timeout_ms: 'Timeout', backoff_ms: 'Backoff' };

// A task step's input as key/value fields (the JSON below edits the same object).
function InputFields({ id, value, error, onChange }) {
  const [rows, setRows] = useState(() => inputRows(value));
  const update = (next) => {
    setRows(next);
    onChange(inputFromRows(next));
  };
  const keys = rows.map((r) => r.key.trim()).filter(Boolean);
  const repeated = keys.find((k, i) => keys.indexOf(k) !== i);
  return (
    <fieldset className="plain input-fields" aria-describedby={`${id}-hint`}>
      <legend>Input</legend>
      {rows.map((row, i) => (
        <div className="input-row" key={i}>
          <input aria-label={`Name of input field ${i + 1}`} className="mono" placeholder="name" value={row.key} onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))} />
          <input aria-label={`Value of input field ${i + 1}`} className="mono" placeholder="{{input.value}}" value={row.value} onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))} />
          <button type="button" className="button ghost small icon-only" onClick={() => update(rows.filter((_, j) => j !== i))}>
            <Icon name="close" size={14} />
            <span className="sr-only">Remove input field {row.key || i + 1}</span>
          </button>
        </div>
      ))}
      <button type="button" className="button secondary small" onClick={() => setRows([...rows, { key: '', value: '' }])}>
        <Icon name="plus" size={14} /> Add a field
      </button>
      <span className="field-hint" id={`${id}-hint`}>
        Text or a template such as {'{{input.value}}'}; 42, true or [1, 2] are kept as numbers, booleans and lists.
      </span>
      <FieldError id={`${id}-error`} message={repeated ? `“${repeated}” is used twice: the last one counts.` : error} />
    </fieldset>
  );
}

function StepIds({ id, legend, hint, value, others, error, onChange }) {
  const chosen = Array.isArray(value) ? value : [];
  const described = error ? `${id}-error` : `${id}-hint`;
  return (
    <fieldset className="field step-ids" aria-describedby={described}>
      <legend>{legend}</legend>
      {others.length === 0 ? (
        <span className="muted small">No other step yet.</span>
      ) : (
        <div className="role-options">
          {others.map((other) => (
            <label className="check compact-check" key={other}>
              <input
                type="checkbox"
                checked={chosen.includes(other)}
                aria-invalid={!!error}
                onChange={(e) => onChange(e.target.checked ? [...chosen, other] : chosen.filter((x) => x !== other))}
              />
              <span className="step-id">{other}</span>
            </label>
          ))}
        </div>
      )}
      {error ? (
        <FieldError id={`${id}-error`} message={error} />
      ) : (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </fieldset>
  );
}

export function StepEditor({ step, definition, workflows, errors, disabled, change, clearError, onRenamed, onRemoved, onClose }) {
  const [id, setId] = useState(step.id);
  const [idProblem, setIdProblem] = useState(null);
  const others = (definition.steps ?? []).map((s) => s.id).filter((x) => typeof x === 'string' && x !== step.id);
  const set = (key, value) => {
    change((d) => updateStep(d, step.id, { [key]: value }));
    clearError(key);
  };
  const text = (key) => (typeof step[key] === 'string' ? step[key] : step[key] === undefined ? '' : JSON.stringify(step[key]));
  const optional = (key) => (e) => set(key, e.target.value === '' ? undefined : e.target.value);
  const rename = () => {
    const next = id.trim();
    if (next === step.id) return setIdProblem(null);
    const why = stepIdProblem(definition, step.id, next);
    setIdProblem(why);
    if (why) return;
    change((d) => renameStep(d, step.id, next));
    clearError('id');
    onRenamed(step.id, next);
  };
  const shown = new Set(['id', ...(typeKeys[step.type] ?? []), 'depends_on', 'on_failure']);
  const other = Object.entries(errors).filter(([key]) => !shown.has(key));
  const f = (key) => `step-${key}`;

  return (
    <div className="step-form">
      <p className="muted small step-kind">
        <span className={`type-chip wf-${step.type}`}>{String(step.type).replace('_', ' ')}</span>
        {!stepTypes.includes(step.type) && <span className="field-error"> Unknown type: choose one of {stepTypes.join(', ')} in the JSON.</span>}
      </p>
      <fieldset disabled={disabled} className="plain">
        <legend className="sr-only">Settings of step {step.id}</legend>
        {disabled && <p className="field-error">The JSON below is not valid: fix it to use the form.</p>}
        <Field id={f('id')} label="Step id" error={idProblem ?? errors.id} hint="Letters, digits, _ and -. References to it follow a rename.">
          {(p) => (
            <input
              {...p}
              className="mono"
              value={id}
              onChange={(e) => {
                // Said while typing: the graph keeps the old id until the new one is valid.
                setId(e.target.value);
                const why = stepIdProblem(definition, step.id, e.target.value.trim());
                setIdProblem(why && `${why} The step keeps the id “${step.id}” until then.`);
              }}
              onBlur={rename}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  rename();
                }
              }}
            />
          )}
        </Field>

        {step.type === 'task' && (
          <>
            <Field id={f('task_type')} label="Task type" error={errors.task_type} hint="What an agent does, e.g. echo or sales.score_lead.">
              {(p) => <input {...p} className="mono" value={text('task_type')} onChange={(e) => set('task_type', e.target.value)} />}
            </Field>
            <Field id={f('agent')} label="Agent id" optional error={errors.agent} hint="Leave empty for any agent that can do it.">
              {(p) => <input {...p} className="mono" value={text('agent')} onChange={optional('agent')} />}
            </Field>
            <InputFields id={f('input')} value={step.input} error={errors.input} onChange={(v) => set('input', v)} />
          </>
        )}
        {step.type === 'condition' && (
          <>
            <Field id={f('expression')} label="Expression" error={errors.expression} hint="e.g. steps.receive.output.value >= 10000 (docs/workflows.md).">
              {(p) => <textarea {...p} className="code-input" rows={2} spellCheck={false} value={text('expression')} onChange={(e) => set('expression', e.target.value)} />}
            </Field>
            <StepIds id={f('then')} legend="Then" hint="Steps that run when it is true." value={step.then} others={others} error={errors.then} onChange={(v) => set('then', v)} />
            <StepIds id={f('else')} legend="Else" hint="Steps that run when it is false." value={step.else} others={others} error={errors.else} onChange={(v) => set('else', v)} />
          </>
        )}
        {step.type === 'parallel' && (
          <StepIds id={f('branches')} legend="Branches" hint="Steps started together." value={step.branches} others={others} error={errors.branches} onChange={(v) => set('branches', v)} />
        )}
        {step.type === 'delay' && (
          <Field id={f('seconds')} label="Seconds" error={errors.seconds} hint="From 0 to a year.">
            {(p) => <input {...p} type="number" min={0} step="any" value={step.seconds ?? ''} onChange={(e) => set('seconds', e.target.value === '' ? undefined : Number(e.target.value))} />}
          </Field>
        )}
        {step.type === 'approval' && (
          <>
            <Field id={f('role')} label="Approved by" error={errors.role} hint="Admins may always decide.">
              {(p) => (
                <select {...p} value={step.role ?? 'manager'} onChange={(e) => set('role', e.target.value)}>
                  {approvalRoles.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field id={f('message')} label="Message" optional error={errors.message}>
              {(p) => <input {...p} value={text('message')} onChange={optional('message')} />}
            </Field>
          </>
        )}
        {step.type === 'http' && (
          <>
            <Field id={f('method')} label="Method" error={errors.method}>
              {(p) => (
                <select {...p} value={step.method ?? 'GET'} onChange={(e) => set('method', e.target.value)}>
                  {httpMethods.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field id={f('url')} label="URL" error={errors.url} hint="http:// or https://, may hold {{templates}}.">
              {(p) => <input {...p} className="mono" value={text('url')} onChange={(e) => set('url', e.target.value)} />}
            </Field>
          </>
        )}
        {step.type === 'notify' && (
          <>
            <Field id={f('topic')} label="Topic" optional error={errors.topic} hint="workflows.… (an event), or give an agent instead.">
              {(p) => <input {...p} className="mono" value={text('topic')} onChange={optional('topic')} />}
            </Field>
            <Field id={f('to_agent')} label="To agent" optional error={errors.to_agent} hint="An agent id: sends it a message.">
              {(p) => <input {...p} className="mono" value={text('to_agent')} onChange={optional('to_agent')} />}
            </Field>
          </>
        )}
        {step.type === 'sub_workflow' && (
          <Field id={f('workflow_id')} label="Workflow to run" error={errors.workflow_id} hint="It must be active when this step runs.">
            {(p) => (
              <select {...p} value={step.workflow_id ?? ''} onChange={(e) => set('workflow_id', e.target.value)}>
                <option value="">Choose a workflow…</option>
                {step.workflow_id && !workflows.some((w) => w.id === step.workflow_id) && <option value={step.workflow_id}>{step.workflow_id}</option>}
                {workflows.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name} ({w.status})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}

        <StepIds
          id={f('depends_on')}
          legend="Runs after"
          hint="It waits for these steps (depends_on)."
          value={step.depends_on}
          others={others}
          error={errors.depends_on}
          onChange={(v) => set('depends_on', v.length ? v : undefined)}
        />
        <Field id={f('on_failure')} label="When it fails" error={errors.on_failure}>
          {(p) => (
            <select {...p} value={step.on_failure ?? 'fail'} onChange={(e) => set('on_failure', e.target.value === 'fail' ? undefined : e.target.value)}>
              <option value="fail">the execution fails</option>
              <option value="continue">continue as if done</option>
              {others.map((o) => (
                <option key={o} value={o}>
                  run {o} instead
                </option>
              ))}
              {step.on_failure && step.on_failure !== 'continue' && !others.includes(step.on_failure) && <option value={step.on_failure}>{step.on_failure}</option>}
            </select>
          )}
        </Field>
        {other.length > 0 && (
          <div className="other-problems" id={f('other-errors')}>
            <span className="label">Also in this step (edit it in the JSON)</span>
            {other.map(([key, message]) => (
              <p className="field-error" key={key}>
                <code>{labels[key] ?? key}</code>: {message}
              </p>
            ))}
          </div>
        )}
        <div className="row">
          <button
            type="button"
            className="button danger small"
            onClick={() => {
              change((d) => removeStep(d, step.id));
              onRemoved();
            }}
          >
            <Icon name="trash" size={14} /> Remove step {step.id}
          </button>
          <button type="button" className="button ghost small push" onClick={onClose}>
            All steps
          </button>
        </div>
      </fieldset>
    </div>
  );
}
