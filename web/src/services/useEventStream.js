import { useEffect, useRef } from 'react';
import { freshAccessToken } from './api.js';
import { connectLive } from './live.js';

// A page's own subscription to /ws/notifications while it is mounted and `enabled`: `topics`
// (a stable array), replayed from event `since` when given. `onEvent` may change between
// renders; the latest one gets each event.
export function useEventStream({ topics, since = null, enabled = true, onEvent }) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!enabled) return undefined;
    const connection = connectLive({
      token: () => freshAccessToken(),
      topics,
      since,
      onEvent: (event) => handler.current(event),
      onStatus: () => {},
    });
    return () => connection.stop();
  }, [topics, since, enabled]);
}
