// What an execution's steps did (GET /workflow-executions/{id} steps[]), read for the page.
import { api } from '../../services/api.js';

// The decision stored in an approval step's output: {approved, by, comment, decided_at}, or
// null while it waits (or for another step type).
export function approvalDecision(run) {
  const out = run?.type === 'approval' ? run.output : null;
  if (!out || typeof out.approved !== 'boolean') return null;
  return { approved: out.approved, by: out.by ?? null, comment: out.comment || null, decidedAt: out.decided_at ?? run.completed_at ?? null };
}

// The role that decides an approval step (its input names it; manager by default).
export const approvalRole = (run) => run?.input?.role ?? 'manager';

export async function decideStep(executionId, stepId, approved, comment) {
  const body = { approved };
  if (comment.trim()) body.comment = comment.trim();
  const { data } = await api.post(`/workflow-executions/${encodeURIComponent(executionId)}/steps/${encodeURIComponent(stepId)}/approve`, body);
  return data;
}
