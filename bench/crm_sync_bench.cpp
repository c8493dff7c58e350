// Load (g), CRM sync (docs/integrations.md): pulls every contact from a HubSpot stand-in
// (tests/support/standins/hubspot_standin.py, seeded by bench/run.py) into a fresh database in
// one run, and prints {"records", "seconds", "records_per_s", "rss_mib_at_10pct", "peak_rss_mib",
// "leads", "links"} as one JSON line. Exit status 1 when a record is missing or doubled.
//   de-crm-bench --url http://127.0.0.1:PORT --database sqlite:/tmp/x.db|postgres://... --records N
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/ids.hpp"
#include "core/outbound.hpp"
#include "integrations/crm/sync.hpp"

using namespace de;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {
double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(field + ":")) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  return 0;
}

std::int64_t count(store::Database& db, const char* sql) {
  return db.read([&](store::Connection& c) { return c.query(sql).rows.at(0).integer(0); });
}
}  // namespace

int main(int argc, char** argv) {
  // The stand-in it syncs from listens on loopback, which the outbound guard refuses by default.
  de::core::outbound::set_policy(de::core::outbound::Policy::parse("127.0.0.1/32,::1/128"));
  std::string url, database;
  std::int64_t records = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view key = argv[i];
    if (key == "--url") url = argv[i + 1];
    else if (key == "--database") database = argv[i + 1];
    else if (key == "--records") records = std::stoll(argv[i + 1]);
  }
  if (url.empty() || database.empty() || records <= 0) {
    std::cerr << "usage: de-crm-bench --url URL --database URL --records N\n";
    return 2;
  }
  auto db = store::Database::open(database);
  db->migrate();
  integrations::crm::Endpoint endpoint;
  endpoint.integration_id = core::new_id();
  endpoint.base_url = url;
  endpoint.credentials = json::object{{"access_token", "pat-bench"}};
  endpoint.mapping = integrations::crm::parse_mapping(integrations::crm::Vendor::hubspot, json::object());
  endpoint.mapping.objects.pop_back();  // contacts only: the stand-in is seeded with contacts
  integrations::crm::SyncOptions options;
  options.stages = {"prospecting", "won", "lost"};

  // RSS once a tenth of the records are in, to tell growth from a flat line.
  std::atomic<bool> done{false};
  double rss_at_tenth = 0;
  std::thread watcher([&] {
    while (!done && rss_at_tenth == 0) {
      if (count(*db, "SELECT count(*) FROM sync_links") >= records / 10) rss_at_tenth = status_mib("VmRSS");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto started = std::chrono::steady_clock::now();
  auto run = *db->write_sync([&](store::Tx& tx) { return integrations::crm::begin_run(tx, endpoint.integration_id, {}); });
  asio::io_context io;
  // Named: the coroutine refers to the lambda's captures until io.run() ends.
  auto sync = [&]() -> asio::awaitable<store::sync::Run> {
    auto client = integrations::crm::make_client(co_await asio::this_coro::executor, endpoint);
    co_return co_await integrations::crm::run_sync(*db, *client, endpoint, run, options);
  };
  auto finished = asio::co_spawn(io, sync(), asio::use_future);
  io.run();
  run = finished.get();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  done = true;
  watcher.join();
  auto leads = count(*db, "SELECT count(*) FROM leads");
  auto links = count(*db, "SELECT count(DISTINCT remote_id) FROM sync_links");
  json::object out{{"records", records}, {"status", run.status}, {"seconds", seconds},
                   {"records_per_s", double(records) / seconds}, {"rss_mib_at_10pct", rss_at_tenth},
                   {"peak_rss_mib", status_mib("VmHWM")}, {"leads", leads}, {"links", links}};
  if (run.error) out["error"] = *run.error;
  std::cout << json::serialize(out) << std::endl;
  return run.status == "succeeded" && leads == records && links == records ? 0 : 1;
}
