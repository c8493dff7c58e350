#pragma once
// PostgreSQL's LISTEN on a connection of its own, for the nodes that share one database: a
// thread waits on the connection's socket and calls `notified` at each notification on the
// channel. A notification is sent only while a node listens, so `notified` is also called once
// each time the connection is (re)opened: the listener reads what it may have missed.
#include <functional>
#include <string>
#include <thread>

namespace de::store {

class Notifications {
 public:
  // A notification whose payload is `own` is left aside (the listener's own commits, which it
  // hears of otherwise).
  Notifications(std::string url, std::string channel, std::string own, std::function<void()> notified);
  ~Notifications();  // stops listening
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

 private:
  void run();

  std::string url_, channel_, own_;
  std::function<void()> notified_;
  int stop_fd_;  // an eventfd, written to stop the thread
  std::thread thread_;
};

}  // namespace de::store
