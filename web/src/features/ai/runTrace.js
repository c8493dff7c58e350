// An assistant run's steps (docs/ai.md, "Tool-using agents"): from the finished task's
// output, or gathered from agents.steps events while it runs.

// The steps known so far after an agents.steps event of `taskId`: indexed by `index`, so a
// replayed or repeated event replaces rather than duplicates.
export function withStepEvent(stepsByIndex, taskId, data) {
  if (data?.task_id !== taskId || !Number.isInteger(data.index) || !data.step) return stepsByIndex;
  return { ...stepsByIndex, [data.index]: data.step };
}

// The steps in order: the finished run's own list when there is one, else the live ones.
export function traceSteps(task, stepsByIndex) {
  const finished = task.output_data?.steps;
  if (Array.isArray(finished)) return finished;
  return Object.keys(stepsByIndex)
    .map(Number)
    .sort((a, b) => a - b)
    .map((index) => stepsByIndex[index]);
}

// Tokens and cost of the model steps.
export function traceTotals(steps) {
  const totals = { input_tokens: 0, output_tokens: 0, cost_usd: 0, model_calls: 0 };
  for (const step of steps) {
    if (step.type !== 'model') continue;
    totals.model_calls += 1;
    totals.input_tokens += Number(step.input_tokens) || 0;
    totals.output_tokens += Number(step.output_tokens) || 0;
    totals.cost_usd += Number(step.cost_usd) || 0;
  }
  return totals;
}

// An approval step is still waiting while no tool step of its call has followed.
export function isWaiting(approvalStep, steps) {
  return !steps.some((s) => s.type === 'tool' && s.call_id === approvalStep.call_id);
}
