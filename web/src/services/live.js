// The /ws/notifications client: subscribes, resumes with `since` after a drop, backs off.
export function connectLive({ token, topics, since, onEvent, onStatus, WebSocketImpl = WebSocket }) {
  let socket = null;
  let lastId = since ?? null;
  let attempt = 0;
  let closed = false;
  let timer = null;

  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocketImpl(`${scheme}://${location.host}/ws/notifications?access_token=${encodeURIComponent(token())}`);
    onStatus('connecting');
    socket.onopen = () => {
      attempt = 0;
      const subscribe = { type: 'subscribe', topics };
      if (lastId !== null) subscribe.since = lastId;
      socket.send(JSON.stringify(subscribe));
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === 'subscribed') {
        if (lastId === null) lastId = data.last_event_id;
        onStatus('live');
      } else if (data.type === 'event') {
        lastId = data.id;
        onEvent(data);
      }
    };
    socket.onclose = () => {
      if (closed) return;
      onStatus('reconnecting');
      const delay = Math.min(30000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2);
      timer = setTimeout(open, delay);
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}
