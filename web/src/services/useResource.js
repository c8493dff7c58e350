import { useCallback, useEffect, useState } from 'react';
import { problemOf } from './api.js';

// Loads something from the API on mount: its data, a readable error, and reload().
// `load` must be stable (module level or useCallback).
export function useResource(load) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const reload = useCallback(async () => {
    try {
      setData(await load());
      setError(null);
    } catch (e) {
      setError(problemOf(e).message);
    }
  }, [load]);
  useEffect(() => {
    reload();
  }, [reload]);
  return { data, error, setError, reload };
}
