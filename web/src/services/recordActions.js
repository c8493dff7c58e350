import { api, problemOf } from './api.js';

// The create, change and remove of a page that lists records of `path` (/companies,
// /stakeholders) and shows one chosen record: each reloads the list after. create and change
// throw the API's error for the form to show; remove hands its problem to `onProblem`.
export function recordActions({ path, selected, load, onChanged, onRemoved, onProblem }) {
  return {
    create: async (body) => {
      await api.post(path, body);
      await load();
    },
    change: async (body) => {
      await api.patch(`${path}/${selected}`, body);
      onChanged();
      await load();
    },
    remove: async () => {
      try {
        await api.delete(`${path}/${selected}`);
        onRemoved();
        await load();
      } catch (error) {
        onProblem(problemOf(error));
      }
    },
  };
}
