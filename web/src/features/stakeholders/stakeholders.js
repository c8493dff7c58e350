// Pure helpers of the Stakeholders page: the power/interest grid as the server draws it
// (docs/product.md: influence and interest from 1 to 5, 3 and above is high).

export const quadrants = [
  { key: 'keep_satisfied', label: 'Keep satisfied', hint: 'high influence, low interest' },
  { key: 'manage_closely', label: 'Manage closely', hint: 'high influence, high interest' },
  { key: 'monitor', label: 'Monitor', hint: 'low influence, low interest' },
  { key: 'keep_informed', label: 'Keep informed', hint: 'low influence, high interest' },
];

export const channels = ['email', 'slack', 'teams', 'phone', 'meeting', 'report'];

export function quadrantOf(influence, interest) {
  const powerful = influence >= 3;
  const interested = interest >= 3;
  if (powerful && interested) return 'manage_closely';
  if (powerful) return 'keep_satisfied';
  if (interested) return 'keep_informed';
  return 'monitor';
}

// The stakeholders of each quadrant, by name.
export function gridOf(stakeholders) {
  const grid = Object.fromEntries(quadrants.map((q) => [q.key, []]));
  for (const s of stakeholders) grid[s.quadrant ?? quadrantOf(s.influence, s.interest)].push(s);
  for (const list of Object.values(grid)) list.sort((a, b) => a.name.localeCompare(b.name));
  return grid;
}

// "billing, checkout ," -> ["billing", "checkout"]
export const topicsOf = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

export const quadrantLabel = (key) => quadrants.find((q) => q.key === key)?.label ?? key;
