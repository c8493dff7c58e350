import { useEffect, useRef, useState } from 'react';
import { useSelector } from 'react-redux';
import { Link } from 'react-router-dom';
import { JsonView, StatusBadge, durationOf, formatDuration, shortId } from '../../components/ui.jsx';
import { isOpen } from './tasksSlice.js';
import TaskWarnings, { waitingWarnings } from './TaskWarnings.jsx';

const steps = ['queued', 'running', 'completed'];

// One task followed live (events, or polling when the socket is down) until it finishes.
// `focusOnMount`: the run just asked for takes the focus, which the form's busy button lost.
export default function TaskRun({ taskId, focusOnMount = false }) {
  const task = useSelector((s) => s.tasks.byId[taskId]);
  const heading = useRef(null);
  const shown = !!task;
  useEffect(() => {
    if (focusOnMount && shown) heading.current?.focus();
  }, [focusOnMount, shown]);
  const [now, setNow] = useState(Date.now());
  const open = task && isOpen(task.status);
  useEffect(() => {
    if (!open) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [open]);
  if (!task) return null;
  const reached = task.status === 'failed' || task.status === 'cancelled' ? 2 : Math.max(0, steps.indexOf(task.status));
  const started = Date.parse(task.started_at ?? task.created_at);
  const elapsed = open ? now - started : durationOf(task);
  return (
    <section className="task-run" aria-labelledby={`run-${task.id}`}>
      <div className="task-run-head">
        <h3 id={`run-${task.id}`} ref={heading} tabIndex={-1}>
          Task <Link to={`/tasks/${task.id}`}>{shortId(task.id)}</Link>
        </h3>
        <span aria-live="polite" aria-atomic="true" className="task-run-status">
          <span className="sr-only">Status: </span>
          <StatusBadge status={task.status} />
        </span>
      </div>
      <ol className="progress" aria-hidden="true">
        {steps.map((s, i) => (
          <li key={s} className={i < reached ? 'done' : i === reached ? (open ? 'current' : `done end-${task.status}`) : ''}>
            {i === 2 && !open ? task.status : s}
          </li>
        ))}
      </ol>
      <TaskWarnings task={task} />
      <p className="muted small">
        {open && waitingWarnings(task).length ? 'Not started.' : open ? `Waiting for the agent… ${formatDuration(Number.isFinite(elapsed) ? elapsed : null)}` : `Finished in ${formatDuration(elapsed)}`}
      </p>
      {task.status === 'completed' && (
        <>
          <h4>Output</h4>
          <JsonView value={task.output_data} label="Task output" />
        </>
      )}
      {task.error && (
        <div className="alert" role="alert">
          {task.error}
        </div>
      )}
    </section>
  );
}
