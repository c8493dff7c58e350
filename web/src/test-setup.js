// jsdom lacks these browser APIs that charts and the graph view touch.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
