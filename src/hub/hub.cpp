#include "hub/hub.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_set>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "store/repositories.hpp"

namespace de::hub {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
using Clock = std::chrono::steady_clock;
using Key = std::pair<int, std::string>;  // (-priority rank, id): critical first, then oldest

// A string member of `o`, viewed in place; nothing when absent or not a string.
std::optional<std::string_view> string_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string_view(it->value().get_string());
}

std::string string_field(const json::object& o, std::string_view key) {
  return std::string(string_member(o, key).value_or(""));
}
}  // namespace

namespace {
// Stores a finished task's outcome while it holds `lease`, then `recorded` (its events) as the
// job's own code: the finish's answer may come back during a trigger's flush (Tx::as_job).
void record_finish(store::Tx& tx, const model::Task& done, const std::string& lease, std::int64_t available_at,
                   std::function<void()> recorded) {
  store::tasks::finish(tx.connection, done, lease, available_at,
                       [&tx, recorded = std::move(recorded)] { tx.as_job(recorded); });
}
}  // namespace

struct OrchestrationHub::Impl : std::enable_shared_from_this<Impl> {
  // An agent's capacity (max_concurrency) and how much of it is taken: by the dispatcher on
  // the strand, and by place() on the writer thread. Atomic, so neither waits for the other.
  struct Seats {
    std::atomic<int> taken{0}, limit{8};
    std::atomic<double> latency_ms{0};  // moving average of recent run times
    bool take() {
      int now = taken.load();
      while (now < limit.load())
        if (taken.compare_exchange_weak(now, now + 1)) return true;
      return false;
    }
    void give_back() { taken.fetch_sub(1); }
    // Least loaded first; recent latency breaks ties between equally loaded agents.
    double score() const { return double(taken.load()) / limit.load() + latency_ms.load() / 1e6; }
  };
  struct Slot {
    std::string id, type, status;
    std::vector<std::string> capabilities;
    std::shared_ptr<Executor> executor;
    std::shared_ptr<Seats> seats = std::make_shared<Seats>();
    bool attached = false;     // a remote connection set the executor and its concurrency
    bool busy = false;         // as last written to the store
    Clock::time_point activity_written;
    std::unique_ptr<asio::steady_timer> activity_timer;  // a write of its activity waits
    bool active() const { return executor && (status == "idle" || status == "busy"); }
  };
  // Who may take a task now, for the dispatcher and for place() on the writer thread: the
  // active agents, and the ready queues that are not empty (a new task must not overtake
  // them). Rewritten on the strand when agents change or a queue fills or empties; under a
  // steady load, with every new task placed at once, neither happens.
  struct Board {
    struct Seat {
      std::string agent_id;
      std::vector<std::string> capabilities;
      std::shared_ptr<Seats> seats;
    };
    std::mutex mutex;
    std::vector<Seat> open;
    std::unordered_set<std::string> waiting_types, waiting_agents;
    // Agents stopped, paused or deleted (by the event that did it) whose change the strand has
    // not applied yet: they take nothing meanwhile.
    std::unordered_map<std::string, std::int64_t> leaving;
    bool closed = false;
  };
  struct Taken {
    std::string agent_id;
    std::shared_ptr<Seats> seats;
  };
  struct Item {
    std::string id, type;
    int rank = 1;
    std::optional<std::string> assigned;
  };
  // Running tasks by the time they time out: one timer, armed for the earliest, serves them all.
  using Deadlines = std::multimap<Clock::time_point, std::string>;
  struct Running {
    std::string agent_id, lease;
    model::Task task;  // as claimed
    Clock::time_point started;
    std::optional<Deadlines::iterator> deadline;
  };

  Impl(asio::io_context& io, store::Database& db, bus::MessageRouter& bus, HubOptions options,
       ExecutorFactory builtin)
      : strand(asio::make_strand(io)), db(db), bus(bus), options(std::move(options)),
        builtin(std::move(builtin)), scan_timer(strand), delay_timer(strand), deadline_timer(strand) {}

  asio::strand<asio::io_context::executor_type> strand;
  store::Database& db;
  bus::MessageRouter& bus;
  HubOptions options;
  ExecutorFactory builtin;
  asio::steady_timer scan_timer, delay_timer, deadline_timer;
  Deadlines deadlines;
  Clock::time_point deadline_armed = Clock::time_point::max();
  std::uint64_t subscription = 0;
  bool stopped = false;
  Board board;
  Clock::time_point last_renewal = Clock::now();

  std::unordered_map<std::string, Slot> agents;
  std::unordered_map<std::string, Item> items;  // queued: ready or delayed
  std::unordered_map<std::string, std::set<Key>> ready_by_type, ready_by_agent;
  // Ready queues that may have queued tasks in the database beyond those in memory (enqueue).
  std::unordered_set<std::string> spilled_types, spilled_agents;
  std::multimap<std::int64_t, std::string> delayed;  // available_at -> id
  std::unordered_map<std::string, Running> running;
  std::unordered_set<std::string> claiming;

  std::mutex waiters_mutex;
  std::unordered_multimap<std::string, std::pair<std::uint64_t, std::function<void(const json::value&)>>> waiters;
  std::uint64_t next_waiter = 1;

  // `f` on the strand unless the hub has stopped by then, keeping the hub alive until it runs.
  template <class F>
  auto while_running(F f) {
    return [self = shared_from_this(), f = std::move(f)]() mutable {
      if (!self->stopped) f();
    };
  }
  template <class F>
  void on_strand(F f) {
    asio::post(strand, while_running(std::move(f)));
  }
  // The same, at once when called on the strand (an instant agent's outcome, given inside run()).
  template <class F>
  void in_strand(F f) {
    asio::dispatch(strand, while_running(std::move(f)));
  }

  // ---- start-up -------------------------------------------------------------------------
  void start() {
    subscription = bus.subscribe({"tasks.*", "agents.*"}, [weak = weak_from_this()](const model::Event& e) {
      if (auto self = weak.lock()) self->on_event(e);
    });
    // An agent stopped, paused or deleted leaves the board when its change commits, before the
    // change is answered: a task submitted after that answer never goes to it. (The strand
    // learns of the change a moment later, from the event, and rewrites the board whole.)
    db.on_emit({{"agents.updated", "agents.deleted"}, [weak = weak_from_this()](store::Tx& tx, const model::Event& e) {
                  if (!e.data().is_object()) return;
                  const auto& a = e.data().get_object();
                  auto status = e.topic == "agents.deleted" ? std::string() : string_field(a, "status");
                  if (status == "idle" || status == "busy") return;
                  tx.after([weak, id = string_field(a, "id"), event_id = tx.id_of(e)](bool durable) {
                    auto self = weak.lock();
                    if (!durable || !self) return;
                    std::lock_guard lock(self->board.mutex);
                    self->board.leaving[id] = event_id;
                  });
                }});
    auto all = db.read([](store::Connection& c) { return store::agents::all(c); });
    std::vector<std::string> orphans;
    if (options.single_node)
      orphans = db.read([](store::Connection& c) { return store::tasks::running(c, 1000000); });
    recover(orphans, std::numeric_limits<std::int64_t>::max());
    on_strand([this, all = std::move(all)] {
      // Each agent's queues are read when it is loaded (upsert_agent marks them spilled).
      for (const auto& a : all) upsert_agent(model::to_json(a));
      pump();
      schedule_scan();
    });
  }

  // Tasks whose lease ended go back to the queue (or fail when out of attempts).
  void recover(const std::vector<std::string>& ids, std::int64_t expired_before) {
    if (ids.empty()) return;
    db.write_sync([&](store::Tx& tx) { take_over(tx, ids, expired_before); });
    spdlog::info(R"("msg":"recovered tasks whose lease ended","count":{})", ids.size());
  }

  // Inside a write job: the tasks whose lease ended before `expired_before` go back to the
  // queue (or fail when out of attempts); counted once the job's changes are durable.
  void take_over(store::Tx& tx, const std::vector<std::string>& ids, std::int64_t expired_before) {
    std::uint64_t taken = 0;
    for (const auto& id : ids)
      if (auto t = store::tasks::expire_lease(tx.connection, id, core::now_ms(), expired_before)) {
        tx.emit("tasks." + t->status, model::to_json(*t));
        ++taken;
      }
    if (taken)
      tx.after([self = shared_from_this(), taken](bool durable) {
        if (durable) self->lease_takeovers.fetch_add(taken, std::memory_order_relaxed);
      });
  }
  std::atomic<std::uint64_t> lease_takeovers{0};

  // ---- events (commit thread) -------------------------------------------------------------
  // What the hub reads of a task event: from the task it carries (no JSON made), else its data.
  struct TaskView {
    std::string_view id, type, status, priority;
    std::optional<std::string_view> pinned_agent;
    std::int64_t retry_at = 0;
  };
  static std::optional<TaskView> task_view(const model::Event& e) {
    if (const auto* t = e.task.get())
      return TaskView{t->id, t->type, t->status, t->priority, t->pinned_agent, 0};
    if (!e.data().is_object()) return std::nullopt;
    const auto& data = e.data().get_object();
    auto text = [&](std::string_view key) { return string_member(data, key).value_or(""); };
    TaskView v{text("id"), text("type"), text("status"), text("priority"), string_member(data, "pinned_agent")};
    if (auto it = data.find("retry_at"); it != data.end() && it->value().is_int64()) v.retry_at = it->value().get_int64();
    return v;
  }

  void on_event(const model::Event& e) {
    const auto& topic = e.topic;
    if (topic.starts_with("tasks.")) {
      auto t = task_view(e);
      if (!t) return;
      if (topic == "tasks.completed" || topic == "tasks.failed" || topic == "tasks.cancelled") notify_waiters(t->id, e);
      if ((topic == "tasks.created" || topic == "tasks.queued") && t->status == "queued") {
        Item item{std::string(t->id), std::string(t->type), model::priority_rank(t->priority),
                  t->pinned_agent ? std::optional<std::string>(*t->pinned_agent) : std::nullopt};
        on_strand([this, item = std::move(item), available_at = t->retry_at] {
          enqueue(item, available_at);
          pump();
        });
      } else if (topic == "tasks.cancelled") {
        on_strand([this, id = std::string(t->id)] { on_cancelled(id); });
      }
      return;
    }
    if (!e.data().is_object()) return;
    if (topic == "agents.created" || topic == "agents.updated") {
      on_strand([this, agent = e.data(), event_id = e.id] {
        upsert_agent(agent.get_object());
        applied(string_field(agent.get_object(), "id"), event_id);
      });
    } else if (topic == "agents.deleted") {
      on_strand([this, id = string_field(e.data().get_object(), "id"), event_id = e.id] {
        remove_agent(id);
        applied(id, event_id);
      });
    }
  }

  // Gives the task's JSON (made now if it was not) to those waiting for it to end.
  void notify_waiters(std::string_view task_id, const model::Event& e) {
    std::vector<std::function<void(const json::value&)>> callbacks;
    {
      std::lock_guard lock(waiters_mutex);
      if (waiters.empty()) return;
      auto [begin, end] = waiters.equal_range(std::string(task_id));
      for (auto it = begin; it != end; ++it) callbacks.push_back(it->second.second);
      waiters.erase(begin, end);
    }
    for (auto& cb : callbacks) cb(e.data());
  }

  // ---- agents -----------------------------------------------------------------------------
  void upsert_agent(const json::object& a) {
    auto id = string_field(a, "id");
    auto [loaded, fresh] = agents.try_emplace(id);
    auto& slot = loaded->second;
    slot.id = id;
    slot.type = string_field(a, "type");
    slot.status = string_field(a, "status");
    slot.busy = slot.status == "busy";
    auto before = std::exchange(slot.capabilities, {});
    if (auto it = a.find("capabilities"); it != a.end() && it->value().is_array())
      for (const auto& c : it->value().get_array())
        if (c.is_string()) slot.capabilities.emplace_back(c.get_string());
    // What a new agent, or a new capability, can run may be waiting in the database only.
    if (fresh) spilled_agents.insert(id);
    for (const auto& type : slot.capabilities)
      if (std::find(before.begin(), before.end(), type) == before.end()) spilled_types.insert(type);
    if (!slot.attached) slot.seats->limit = options.default_concurrency;
    if (auto config = a.find("config"); !slot.attached && config != a.end() && config->value().is_object()) {
      auto limit = config->value().get_object().find("max_concurrency");
      if (limit != config->value().get_object().end() && limit->value().is_int64())
        slot.seats->limit = int(std::clamp<std::int64_t>(limit->value().get_int64(), 1, 1024));
    }
    if (!slot.executor && slot.type != "remote" && builtin) {
      model::Agent agent;
      agent.id = id;
      agent.type = slot.type;
      agent.name = string_field(a, "name");
      slot.executor = builtin(agent);
    }
    if (slot.status == "stopped" || slot.status == "offline" || slot.status == "error") requeue_running_of(id);
    agents_changed();
  }

  void remove_agent(const std::string& id) {
    requeue_running_of(id);
    agents.erase(id);
    // Tasks pinned to a deleted agent lose the pin (the store sets it to NULL too).
    if (spilled_agents.erase(id))  // its tasks in the database only joined their types' queues
      for (const auto& [other, slot] : agents) spilled_types.insert(slot.capabilities.begin(), slot.capabilities.end());
    if (auto it = ready_by_agent.find(id); it != ready_by_agent.end()) {
      auto pinned = std::move(it->second);
      ready_by_agent.erase(it);
      set_waiting(board.waiting_agents, id, false);
      for (const auto& key : pinned) {
        auto& item = items[key.second];
        item.assigned.reset();
        make_ready(item);
      }
    }
    agents_changed();
  }

  // The strand has applied an agent's change up to `event_id`: its leaving mark, if that event
  // set it (or an earlier one), is done with.
  void applied(const std::string& agent_id, std::int64_t event_id) {
    std::lock_guard lock(board.mutex);
    if (auto it = board.leaving.find(agent_id); it != board.leaving.end() && it->second <= event_id) board.leaving.erase(it);
  }

  // Shows the active agents on the board, then gives them what waits.
  void agents_changed() {
    std::vector<Board::Seat> open;
    for (const auto& [id, slot] : agents)
      if (slot.active()) open.push_back({id, slot.capabilities, slot.seats});
    {
      std::lock_guard lock(board.mutex);
      board.open = std::move(open);
    }
    pump();
  }

  void set_waiting(std::unordered_set<std::string>& queues, const std::string& key, bool waiting) {
    std::lock_guard lock(board.mutex);
    if (waiting) queues.insert(key);
    else queues.erase(key);
  }

  // Stopping an agent gives its running tasks back to the queue at once.
  void requeue_running_of(const std::string& agent_id) {
    std::vector<std::string> ids;
    for (auto& [task_id, r] : running)
      if (r.agent_id == agent_id) ids.push_back(task_id);
    for (const auto& task_id : ids) {
      stop_run(task_id);
      auto r = release(task_id);
      auto now = core::now_ms();
      auto done = store::tasks::with_outcome(std::move(r->task), "queued", std::nullopt,
                                             "requeued: its agent was stopped", now);
      db.write(
          [done = std::move(done), lease = r->lease, now](store::Tx& tx) {
            record_finish(tx, done, lease, now, [&tx, &done] { tx.emit("tasks.queued", model::to_json(done)); });
          },
          nullptr);
    }
  }

  // Takes a seat for a task of `type` (or pinned to an agent) on the least loaded active
  // agent that can run it. `fresh`: a new task, which must not overtake a waiting one.
  std::optional<Taken> take_seat(const std::string& type, const std::optional<std::string>& pinned, bool fresh) {
    std::lock_guard lock(board.mutex);
    if (board.closed) return std::nullopt;
    if (fresh && (pinned ? board.waiting_agents.contains(*pinned) : board.waiting_types.contains(type)))
      return std::nullopt;
    while (true) {
      const Board::Seat* best = nullptr;
      double best_score = 0;
      for (const auto& seat : board.open) {
        bool fits = pinned ? seat.agent_id == *pinned
                           : std::find(seat.capabilities.begin(), seat.capabilities.end(), type) !=
                                 seat.capabilities.end();
        if (!fits || seat.seats->taken.load() >= seat.seats->limit.load() || board.leaving.contains(seat.agent_id))
          continue;
        double score = seat.seats->score();
        if (!best || score < best_score) best = &seat, best_score = score;
      }
      if (!best) return std::nullopt;
      if (best->seats->take()) return Taken{best->agent_id, best->seats};
      // Its last seat went to the other thread meanwhile: look again.
    }
  }

  // Under a light load every task turned its agent busy and idle again: two writes and two
  // agents.updated events per task. So the status is written at most once per
  // activity_interval, with whatever it is by then.
  void set_activity(Slot& slot) {
    if (slot.activity_timer) return;
    auto wait = slot.activity_written + options.activity_interval - Clock::now();
    if (wait <= Clock::duration::zero()) return write_activity(slot);
    slot.activity_timer = std::make_unique<asio::steady_timer>(strand, wait);
    slot.activity_timer->async_wait([self = shared_from_this(), id = slot.id](boost::system::error_code ec) {
      auto it = self->agents.find(id);
      if (ec || self->stopped || it == self->agents.end()) return;
      it->second.activity_timer.reset();
      self->write_activity(it->second);
    });
  }

  void write_activity(Slot& slot) {
    bool busy = slot.seats->taken.load() > 0;
    if (busy == slot.busy || (slot.status != "idle" && slot.status != "busy")) return;
    slot.activity_written = Clock::now();
    slot.busy = busy;
    slot.status = busy ? "busy" : "idle";
    db.write(
        [id = slot.id, busy](store::Tx& tx) {
          if (store::agents::set_activity(tx.connection, id, busy, core::now_ms()))
            if (auto a = store::agents::find(tx.connection, id)) tx.emit("agents.updated", model::to_json(*a));
        },
        nullptr);
  }

  // ---- the queue ----------------------------------------------------------------------------
  // A ready queue (a type's, or an agent's for the tasks pinned to it) holds at most
  // options.queue_window tasks in memory, the first in its order; the delays at most as many in
  // all. The others stay in the database only, their queue marked spilled, and are read back in
  // order as the queue drains (refill). So a backlog of millions costs a window's memory.
  void enqueue(Item item, std::int64_t available_at) {
    if (item.id.empty() || items.contains(item.id) || running.contains(item.id) || claiming.contains(item.id)) return;
    bool later = available_at > core::now_ms();
    if (later ? delayed.size() >= options.queue_window : !make_room(item)) return spill(item.assigned, item.type);
    auto id = item.id;
    items.emplace(id, std::move(item));
    if (later) {
      delayed.emplace(available_at, id);
      arm_delay_timer();
    } else {
      make_ready(items[id]);
    }
  }

  // Room in `item`'s ready queue, if need be by putting back its last task (in the database
  // only), when `item` comes before it; false when the queue is full of tasks before `item`.
  bool make_room(const Item& item) {
    auto& queue = queue_of(item).first;
    if (queue.size() < options.queue_window) return true;
    auto last = std::prev(queue.end());
    if (Key{-item.rank, item.id} > *last) return false;
    spill(item.assigned, item.type);
    items.erase(last->second);  // ready, so not among the delays; `item` fills the queue again
    queue.erase(last);
    return true;
  }

  // Marks the ready queue of tasks pinned to `agent`, or else of `type`, spilled.
  void spill(const std::optional<std::string>& agent, const std::string& type) {
    (agent ? spilled_agents : spilled_types).insert(agent.value_or(type));
  }

  // Reads back the first tasks of the spilled queues that are at most half full. A queue read
  // whole is no longer spilled.
  void refill() {
    auto half = options.queue_window / 2;
    for (bool agent : {false, true}) {
      auto& spilled = agent ? spilled_agents : spilled_types;
      auto& ready = agent ? ready_by_agent : ready_by_type;
      std::vector<std::string> low;
      for (const auto& name : spilled)
        if (auto queue = ready.find(name); queue == ready.end() || queue->second.size() <= half) low.push_back(name);
      for (auto& name : low) {
        store::tasks::QueueOf of{std::move(name), agent};
        std::vector<store::tasks::Queued> first;
        try {
          first = db.read([&](store::Connection& c) { return store::tasks::queued(c, options.queue_window, of); });
        } catch (const std::exception& e) {  // still spilled: the next pump tries again
          spdlog::warn(R"("msg":"reading the queue failed","error":{})", core::quoted(e.what()));
          return;
        }
        spilled.erase(of.name);
        for (const auto& q : first) enqueue({q.id, q.type, q.priority_rank, q.pinned_agent}, q.available_at);
        if (first.size() == options.queue_window) spilled.insert(of.name);  // perhaps more
      }
    }
  }

  // The ready queue an item waits in, and the board's list of those that are not empty.
  std::pair<std::set<Key>&, std::unordered_set<std::string>&> queue_of(const Item& item) {
    if (item.assigned) return {ready_by_agent[*item.assigned], board.waiting_agents};
    return {ready_by_type[item.type], board.waiting_types};
  }

  void make_ready(const Item& item) {
    auto [queue, waiting] = queue_of(item);
    queue.insert({-item.rank, item.id});
    if (queue.size() == 1) set_waiting(waiting, item.assigned.value_or(item.type), true);
  }

  // Takes `id` out of its ready queue (if there) and the in-memory queue.
  void unqueue(const std::string& id) {
    auto it = items.find(id);
    if (it == items.end()) return;
    auto [queue, waiting] = queue_of(it->second);
    if (queue.erase({-it->second.rank, id}) && queue.empty())
      set_waiting(waiting, it->second.assigned.value_or(it->second.type), false);
    std::erase_if(delayed, [&](const auto& d) { return d.second == id; });
    items.erase(it);
  }

  void arm_delay_timer() {
    if (delayed.empty()) return;
    auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, delayed.begin()->first - core::now_ms()));
    delay_timer.expires_after(wait);
    delay_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      auto now = core::now_ms();
      while (!self->delayed.empty() && self->delayed.begin()->first <= now) {
        auto id = self->delayed.begin()->second;
        self->delayed.erase(self->delayed.begin());
        if (auto it = self->items.find(id); it != self->items.end()) self->make_ready(it->second);
      }
      self->arm_delay_timer();
      self->pump();
    });
  }

  void pump() {
    if (!spilled_types.empty() || !spilled_agents.empty()) refill();
    for (auto& [agent_id, ready] : ready_by_agent)
      while (!ready.empty())
        if (!dispatch(ready, "", agent_id)) break;
    for (auto& [type, ready] : ready_by_type)
      while (!ready.empty())
        if (!dispatch(ready, type, std::nullopt)) break;
  }

  // Claims the first task of `ready` for an agent with a free seat, if any.
  bool dispatch(std::set<Key>& ready, const std::string& type, const std::optional<std::string>& pinned) {
    auto seat = take_seat(type, pinned, false);
    if (!seat) return false;
    auto id = ready.begin()->second;
    ready.erase(ready.begin());
    if (ready.empty()) set_waiting(pinned ? board.waiting_agents : board.waiting_types, pinned.value_or(type), false);
    items.erase(id);
    claiming.insert(id);
    if (auto slot = agents.find(seat->agent_id); slot != agents.end()) set_activity(slot->second);
    auto lease = new_lease();
    auto lease_ms = options.lease.count();
    // Filled by the claim's job on the writer thread, read by its completion on the strand.
    auto result = std::make_shared<std::optional<model::Task>>();
    db.write(
        [id, agent_id = seat->agent_id, lease, lease_ms, result](store::Tx& tx) {
          auto now = core::now_ms();
          store::tasks::claim(tx.connection, id, agent_id, lease, now + lease_ms, now, [&tx, result](model::Task task) {
            tx.as_job([&tx, result, task = std::move(task)]() mutable {
              tx.emit("tasks.running", model::to_json(task));
              *result = std::move(task);
            });
          });
        },
        [this, id, type, pinned, seat = *seat, lease, result](std::exception_ptr error) {
          on_strand([this, id, type, pinned, seat, lease, result, error] {
            claiming.erase(id);
            if (error || !*result) {
              seat.seats->give_back();
              if (auto slot = agents.find(seat.agent_id); slot != agents.end()) set_activity(slot->second);
              if (error) {  // still queued: read back with its queue, or by the rescan
                spill(pinned, type);
                schedule_scan(std::chrono::milliseconds(200));
              }
              pump();
              return;
            }
            run(std::move(**result), seat.agent_id, lease);
          });
        });
    return true;
  }

  std::string new_lease() const { return options.node_id + ":" + core::new_id(); }

  // Gives a new task an agent with room, if any: the lease to store it with, and what to do
  // once the creating write's fate is known (start the run, or free the seat).
  std::optional<std::pair<store::tasks::Lease, std::function<void(bool)>>> place(model::Task& task) {
    task.status = "queued";
    task.assigned_agent = task.pinned_agent;
    task.attempts = 0;
    task.started_at.reset();
    auto seat = take_seat(task.type, task.pinned_agent, true);
    if (!seat) return std::nullopt;
    task.status = "running";
    task.assigned_agent = seat->agent_id;
    task.attempts = 1;
    task.started_at = core::now_ms();
    store::tasks::Lease lease{new_lease(), *task.started_at + options.lease.count()};
    // Called once, so it hands its copy of the task on rather than copying it again.
    auto settle = [self = shared_from_this(), task, seat = std::move(*seat), lease = lease.owner](bool durable) mutable {
      if (!durable) seat.seats->give_back();  // at once: a job that reruns may need it
      self->on_strand([self, task = std::move(task), agent_id = seat.agent_id, lease, durable]() mutable {
        if (auto slot = self->agents.find(agent_id); slot != self->agents.end()) self->set_activity(slot->second);
        if (durable) self->run(std::move(task), agent_id, lease);
        else self->pump();
      });
    };
    return std::make_pair(std::move(lease), std::move(settle));
  }

  void run(model::Task claimed, const std::string& agent_id, const std::string& lease) {
    auto slot = agents.find(agent_id);
    if (slot == agents.end() || !slot->second.executor) {
      // The agent went away while the claim was in flight: the lease expiry requeues it.
      return;
    }
    auto& r = running[claimed.id];
    r.agent_id = agent_id;
    r.lease = lease;
    r.task = std::move(claimed);
    r.started = Clock::now();
    auto id = r.task.id;
    // An instant agent gives its outcome inside start(): completed there, `r` is gone after it.
    slot->second.executor->start(r.task, [weak = weak_from_this(), id, lease](Outcome outcome) {
      if (auto self = weak.lock())
        self->in_strand([self, id, lease, outcome = std::move(outcome)]() mutable { self->complete(id, lease, std::move(outcome)); });
    });
    if (auto it = running.find(id); it != running.end() && it->second.lease == lease) add_deadline(it->second, id);
  }

  void add_deadline(Running& r, const std::string& id) {
    r.deadline = deadlines.emplace(r.started + std::chrono::milliseconds(r.task.timeout_ms), id);
    arm_deadline_timer();
  }

  void arm_deadline_timer() {
    if (deadlines.empty() || deadlines.begin()->first >= deadline_armed) return;
    deadline_armed = deadlines.begin()->first;
    deadline_timer.expires_at(deadline_armed);
    deadline_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;  // aborted: armed again for an earlier deadline
      self->deadline_armed = Clock::time_point::max();
      self->time_out_due();
    });
  }

  // Fails (retryably) the running tasks whose deadline has passed, then waits for the next.
  void time_out_due() {
    auto now = Clock::now();
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
      auto id = deadlines.begin()->second;
      stop_run(id);
      const auto& r = running.at(id);
      auto lease = r.lease;  // complete() releases `r`, deadline included
      complete(id, lease, Outcome::failure("timed out after " + std::to_string(r.task.timeout_ms) + " ms", true));
    }
    arm_deadline_timer();
  }

  // Tells the executor running `id` on this node (if any) to stop.
  void stop_run(const std::string& id) {
    auto it = running.find(id);
    if (it == running.end()) return;
    if (auto slot = agents.find(it->second.agent_id); slot != agents.end() && slot->second.executor)
      slot->second.executor->cancel(id);
  }

  // Frees the slot of a running task (cancelled, stopped, expired or finished).
  std::optional<Running> release(const std::string& id) {
    auto it = running.find(id);
    if (it == running.end()) return std::nullopt;
    Running r = std::move(it->second);
    running.erase(it);
    if (r.deadline) deadlines.erase(*r.deadline);
    if (auto slot = agents.find(r.agent_id); slot != agents.end()) {
      slot->second.seats->give_back();
      set_activity(slot->second);
    }
    return r;
  }

  std::int64_t backoff_ms(std::int64_t attempts) {
    thread_local std::mt19937 rng{std::random_device{}()};
    double base = double(options.backoff_base.count()) * std::pow(2.0, double(std::max<std::int64_t>(0, attempts - 1)));
    base = std::min(base, double(options.backoff_max.count()));
    return std::int64_t(base * std::uniform_real_distribution<double>(0.5, 1.0)(rng));  // jitter
  }

  void complete(const std::string& id, const std::string& lease, Outcome outcome) {
    auto it = running.find(id);
    if (it == running.end() || it->second.lease != lease) return;  // late, cancelled or duplicate
    auto r = *release(id);
    auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - r.started).count();
    if (auto slot = agents.find(r.agent_id); slot != agents.end()) {
      auto& latency = slot->second.seats->latency_ms;
      latency = latency == 0 ? elapsed : 0.8 * latency + 0.2 * elapsed;
    }
    std::string status = outcome.ok ? "completed"
                         : (outcome.retryable && r.task.attempts < r.task.max_attempts) ? "queued"
                                                                                        : "failed";
    auto now = core::now_ms();
    auto retry_at = status == "queued" ? now + backoff_ms(r.task.attempts) : 0;
    std::optional<json::value> output;
    if (outcome.ok) output = std::move(outcome.output);
    std::optional<std::string> error;
    if (!outcome.ok) error = outcome.error;
    auto done = std::make_shared<const model::Task>(
        store::tasks::with_outcome(std::move(r.task), status, std::move(output), std::move(error), now));
    // The event is made here, off the writer thread that every task's writes share: a retry's
    // JSON says when (retry_at); an end's event is the task itself.
    std::optional<json::object> retry;
    if (done->status == "queued") {
      retry = model::to_json(*done);
      (*retry)["retry_at"] = retry_at;
    }
    auto text = retry ? core::to_text(*retry) : model::to_text(*done);
    db.write(
        [done, lease, retry_at, agent_id = r.agent_id, latency = std::int64_t(elapsed), retry = std::move(retry),
         text = std::move(text)](store::Tx& tx) {
          // Unless the lease was lost meanwhile (cancelled or expired): then nothing to record.
          record_finish(tx, *done, lease, retry_at, [&] {
            if (retry) return (void)tx.emit("tasks.queued", *retry, text);  // a copy: the job may run again
            tx.count_outcome(agent_id, done->status == "completed", latency);
            tx.emit("tasks." + done->status, done, text);
          });
        },
        nullptr);
    pump();
  }

  void on_cancelled(const std::string& id) {
    unqueue(id);
    stop_run(id);
    if (release(id)) pump();
  }

  // ---- periodic: lease renewal and reaping, queue rescan -------------------------------------
  void schedule_scan(std::chrono::milliseconds after = std::chrono::milliseconds(0)) {
    scan_timer.expires_after(after.count() ? after : options.scan_interval);
    scan_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->scan();
    });
  }

  void scan() {
    // Renew the leases this node still serves, a third of a lease before they run out.
    if (Clock::now() - last_renewal > options.lease / 3) {
      last_renewal = Clock::now();
      std::vector<std::pair<std::string, std::string>> alive;
      for (const auto& [id, r] : running) {
        auto slot = agents.find(r.agent_id);
        if (slot != agents.end() && slot->second.executor && slot->second.executor->alive()) alive.emplace_back(id, r.lease);
      }
      if (!alive.empty())
        db.write(
            [alive, ms = options.lease.count()](store::Tx& tx) {
              auto until = core::now_ms() + ms;
              for (const auto& [id, lease] : alive) store::tasks::renew_lease(tx.connection, id, lease, until);
            },
            nullptr);
    }
    try {
      auto now = core::now_ms();
      auto expired = db.read([&](store::Connection& c) { return store::tasks::expired_leases(c, now, 1000); });
      // A lease of this node's that ran out (renewals held up) may be taken over by any node:
      // the run here stops, so that the task never runs twice at once.
      for (const auto& id : expired) {
        stop_run(id);
        release(id);
      }
      if (!expired.empty())
        db.write([self = shared_from_this(), expired, now](store::Tx& tx) { self->take_over(tx, expired, now); }, nullptr);
      // Tasks queued by other nodes, or whose event was missed, join the in-memory queue.
      for (const auto& q : db.read([](store::Connection& c) { return store::tasks::queued(c, 1000); }))
        enqueue({q.id, q.type, q.priority_rank, q.pinned_agent}, q.available_at);
      pump();
    } catch (const std::exception& e) {
      spdlog::warn(R"("msg":"hub scan failed","error":{})", core::quoted(e.what()));
    }
    schedule_scan();
  }
};

OrchestrationHub::OrchestrationHub(asio::io_context& io, store::Database& db, bus::MessageRouter& bus,
                                   HubOptions options, ExecutorFactory builtin)
    : impl_(std::make_shared<Impl>(io, db, bus, std::move(options), std::move(builtin))) {}

OrchestrationHub::~OrchestrationHub() { stop(); }

void OrchestrationHub::start() { impl_->start(); }

OrchestrationHub::Prepared OrchestrationHub::prepare(model::Task task) {
  Prepared p;
  if (auto placed = impl_->place(task)) {
    p.lease_ = std::move(placed->first);
    p.seat_.settle = std::move(placed->second);
  }
  p.text_ = model::to_text(task);
  p.task_ = std::make_shared<const model::Task>(std::move(task));
  return p;
}

std::string OrchestrationHub::submit(store::Tx& tx, Prepared& p, const std::optional<std::string>& idempotency_key,
                                     const std::optional<std::string>& request_hash) {
  // Run again after a rollback (which freed the first run's seat): prepared afresh, here.
  if (p.submitted_) p = prepare(*p.task_);
  p.submitted_ = true;
  store::tasks::insert(tx.connection, *p.task_, idempotency_key, request_hash, p.lease_);
  if (p.seat_.settle) tx.after(std::exchange(p.seat_.settle, nullptr));
  auto created = tx.emit("tasks.created", p.task_, p.text_);
  if (p.lease_) tx.emit("tasks.running", p.task_, p.text_, created);
  return p.text_;
}

std::string OrchestrationHub::submit(store::Tx& tx, const model::Task& task) {
  auto prepared = prepare(task);
  return submit(tx, prepared);
}

void OrchestrationHub::stop() {
  if (impl_->subscription) impl_->bus.unsubscribe(std::exchange(impl_->subscription, 0));
  {
    std::lock_guard lock(impl_->board.mutex);
    impl_->board.closed = true;  // no new task is placed from now on
  }
  asio::post(impl_->strand, [impl = impl_] {
    impl->stopped = true;
    impl->scan_timer.cancel();
    impl->delay_timer.cancel();
    impl->deadline_timer.cancel();
  });
}

std::uint64_t OrchestrationHub::lease_takeovers() const {
  return impl_->lease_takeovers.load(std::memory_order_relaxed);
}

void OrchestrationHub::attach(const std::string& agent_id, std::shared_ptr<Executor> executor, int max_concurrency) {
  impl_->on_strand([impl = impl_.get(), agent_id, executor = std::move(executor), max_concurrency] {
    auto& slot = impl->agents[agent_id];
    slot.id = agent_id;
    slot.executor = executor;
    slot.attached = true;
    slot.seats->limit = std::max(1, max_concurrency);
    impl->agents_changed();
  });
}

void OrchestrationHub::detach(const std::string& agent_id) {
  impl_->on_strand([impl = impl_.get(), agent_id] {
    if (auto it = impl->agents.find(agent_id); it != impl->agents.end()) {
      it->second.executor.reset();
      it->second.attached = false;
      impl->agents_changed();
    }
  });
}

std::uint64_t OrchestrationHub::wait_for(const std::string& task_id, std::function<void(const json::value&)> done) {
  std::lock_guard lock(impl_->waiters_mutex);
  auto id = impl_->next_waiter++;
  impl_->waiters.emplace(task_id, std::make_pair(id, std::move(done)));
  return id;
}

void OrchestrationHub::forget(std::uint64_t waiter) {
  std::lock_guard lock(impl_->waiters_mutex);
  std::erase_if(impl_->waiters, [&](const auto& w) { return w.second.first == waiter; });
}

}  // namespace de::hub
