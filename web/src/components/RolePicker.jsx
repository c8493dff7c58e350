import { useId } from 'react';
import { roles as allRoles } from '../features/auth/authSlice.js';

const hints = {
  admin: 'everything',
  manager: 'agents, tasks, workflows',
  operator: 'run tasks, control agents',
  viewer: 'read only',
  agent: 'remote agent protocol',
};

// A group of role checkboxes (a fieldset with a legend, for screen readers).
export default function RolePicker({ value, onChange, legend = 'Roles', error = null, compact = false, roles = allRoles }) {
  const id = useId();
  const toggle = (role) => onChange(value.includes(role) ? value.filter((r) => r !== role) : [...value, role]);
  return (
    <fieldset className={`role-picker${compact ? ' compact' : ''}`} aria-describedby={error ? `${id}-error` : undefined} aria-invalid={!!error}>
      <legend>{legend}</legend>
      <div className="role-options">
        {roles.map((role) => (
          <label key={role} className="check">
            <input type="checkbox" checked={value.includes(role)} onChange={() => toggle(role)} />
            <span>
              {role}
              {!compact && <small>{hints[role]}</small>}
            </span>
          </label>
        ))}
      </div>
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </fieldset>
  );
}
