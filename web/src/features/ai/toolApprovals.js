// Tool approvals of assistants (docs/ai.md, "Approvals"): who may decide, and the decision.
import { api } from '../../services/api.js';

const roleRank = { operator: 1, manager: 2, admin: 3 };

// A user may decide an approval when one of their roles is the approval's role or above
// (operator < manager < admin); admins always may.
export function mayDecide(user, role) {
  const needed = roleRank[role] ?? roleRank.manager;
  return (user?.roles ?? []).some((r) => r === 'admin' || (roleRank[r] ?? 0) >= needed);
}

// Who may decide, in words: "a manager or an admin".
export function decidersOf(role) {
  if (role === 'admin') return 'an admin';
  if (role === 'operator') return 'an operator, a manager or an admin';
  return 'a manager or an admin';
}

export async function decideApproval(id, approved, comment) {
  const body = { approved };
  if (comment.trim()) body.comment = comment.trim();
  const { data } = await api.post(`/tool-approvals/${encodeURIComponent(id)}/approve`, body);
  return data;
}

export async function loadWaitingApprovals() {
  const { data } = await api.get('/tool-approvals', { params: { status: 'waiting', limit: 100 } });
  return data.items ?? [];
}
