// A WebSocket double: records URLs and sent frames; the test drives open/message/close.
export function socketFactory() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      sockets.push(this);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close() {
      this.closed = true;
    }
    open() {
      this.onopen?.();
    }
    message(data) {
      this.onmessage?.({ data: JSON.stringify(data) });
    }
    drop() {
      this.onclose?.();
    }
  }
  return { sockets, FakeSocket };
}
