import { useCallback, useEffect, useRef, useState } from 'react';
import { problemOf } from './api.js';

// Loads something from the API on mount: its data, a readable error (a problem), and reload().
// `load` must be stable (module level or useCallback). Answers that arrive after unmount, or
// after a newer reload, are dropped.
export function useResource(load) {
  const [data, setData] = useState(null);
  const [problem, setProblem] = useState(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await load();
      if (mine !== generation.current) return;
      setData(value);
      setProblem(null);
    } catch (e) {
      if (mine !== generation.current) return;
      setProblem(problemOf(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [load]);
  useEffect(() => {
    reload();
    return () => {
      generation.current++;
    };
  }, [reload]);
  return { data, setData, problem, error: problem?.message ?? null, loading, reload };
}
