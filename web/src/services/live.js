// The /ws/notifications client: subscribes, resumes with `since` after a drop, backs off.
//
// status: 'connecting' (first attempt), 'live' (subscribed), 'reconnecting' (dropped or could
// not connect; retrying with exponential backoff, 0.5 s doubling up to 30 s, with jitter).
export function connectLive({
  token, // async () => access token (refreshed when close to expiry)
  topics,
  since = null,
  onEvent,
  onStatus,
  onResync = () => {}, // events after the resume point were deleted (retention): reload what is shown
  WebSocketImpl = globalThis.WebSocket,
  baseUrl = null,
  random = Math.random,
}) {
  let socket = null;
  let lastId = since; // where a resume starts: the last event seen, or the subscription point
  let lastDelivered = since; // the last event handed to onEvent (replays may overlap it)
  let attempt = 0;
  let closed = false;
  let timer = null;
  let isLive = false;

  const url = (accessToken) => {
    const origin = baseUrl ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    return `${origin}/ws/notifications?access_token=${encodeURIComponent(accessToken ?? '')}`;
  };

  const retry = () => {
    if (closed) return;
    onStatus('reconnecting');
    const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + random() / 2);
    attempt = Math.min(attempt + 1, 10);
    clearTimeout(timer);
    timer = setTimeout(open, delay);
  };

  async function open() {
    if (closed) return;
    if (attempt === 0 && lastId === null) onStatus('connecting');
    let accessToken;
    try {
      accessToken = await token();
    } catch {
      accessToken = null;
    }
    if (closed) return;
    if (!accessToken) return retry();
    let ws;
    try {
      ws = new WebSocketImpl(url(accessToken));
    } catch {
      return retry();
    }
    socket = ws;
    const subscribe = () => {
      const message = { type: 'subscribe', topics };
      if (lastId !== null) message.since = lastId;
      ws.send(JSON.stringify(message));
    };
    ws.onopen = subscribe;
    ws.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === 'subscribed') {
        attempt = 0;
        isLive = true;
        // From now on events follow on from here: a later resume asks for what came after.
        if (lastId === null && Number.isInteger(data.last_event_id)) lastId = data.last_event_id;
        onStatus('live');
      } else if (data.type === 'event') {
        if (Number.isInteger(data.id)) {
          if (lastDelivered !== null && data.id <= lastDelivered) return; // already seen
          lastDelivered = data.id;
          lastId = Math.max(lastId ?? 0, data.id);
        }
        if (!isLive) {
          isLive = true; // a server that does not confirm subscriptions is live once events flow
          onStatus('live');
        }
        onEvent(data);
      } else if (data.type === 'error' && data.code === 'resync_required') {
        // The server's retention deleted events after lastId: resume from the newest instead,
        // and let the caller reload the state those events would have changed.
        lastId = Number.isInteger(data.last_event_id) ? data.last_event_id : null;
        lastDelivered = lastId;
        onResync();
        subscribe();
      }
    };
    ws.onerror = () => {}; // onclose follows and decides
    ws.onclose = () => {
      if (socket === ws) socket = null;
      isLive = false;
      retry();
    };
  }

  open();
  return {
    stop() {
      closed = true;
      clearTimeout(timer);
      if (socket) {
        socket.onclose = null;
        socket.close();
      }
    },
    lastEventId: () => lastId,
  };
}
