#include "integrations/crm/sync.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <type_traits>

#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "model/model.hpp"
#include "store/write.hpp"

namespace de::integrations::crm {

namespace asio = boost::asio;
namespace json = boost::json;
using store::Tx;
using store::deals::Deal;
using store::leads::Lead;
using store::sync::Link;
using store::sync::Run;

namespace {

std::string value_at(const Values& values, const std::string& key) {
  auto found = values.find(key);
  return found == values.end() ? std::string() : found->second;
}

// A write's time stamp that moves the record's updated_at forward even within one millisecond.
std::int64_t next_stamp(std::int64_t updated_at) { return std::max(core::now_ms(), updated_at + 1); }

// The local table behind each canonical object, so pull and push are written once.
struct Leads {
  using Record = Lead;
  static constexpr std::string_view table = "leads";
  static std::optional<Lead> find(store::Connection& c, const std::string& id) { return store::leads::find(c, id); }
  static Lead make(const Endpoint& endpoint, const SyncOptions&, std::int64_t now) {
    Lead lead;
    lead.id = core::new_id();
    lead.source = endpoint.vendor == Vendor::hubspot ? "hubspot" : "salesforce";
    lead.created_at = lead.updated_at = now;
    return lead;
  }
  static void insert(Tx& tx, const std::vector<Lead>& leads) {
    store::leads::insert(tx.connection, leads);
    for (const auto& lead : leads) tx.emit("leads.created", store::leads::to_json(lead));
  }
  static void update(Tx& tx, const Lead&, const Lead& lead) {
    store::leads::update(tx.connection, lead);
    tx.emit("leads.updated", store::leads::to_json(lead));
  }
  static void remove(Tx& tx, const std::string& id) {
    if (store::leads::remove(tx.connection, id)) tx.emit("leads.deleted", json::object{{"id", id}});
  }
};

struct Companies {
  using Record = store::companies::Company;
  static constexpr std::string_view table = "companies";
  static std::optional<Record> find(store::Connection& c, const std::string& id) { return store::companies::find(c, id); }
  static Record make(const Endpoint&, const SyncOptions&, std::int64_t now) {
    Record company;
    company.id = core::new_id();
    company.created_at = company.updated_at = now;
    return company;
  }
  static void insert(Tx& tx, const std::vector<Record>& companies) {
    store::companies::insert(tx.connection, companies);
    for (const auto& company : companies) tx.emit("companies.created", store::companies::to_json(company));
  }
  static void update(Tx& tx, const Record&, const Record& company) {
    store::companies::update(tx.connection, company);
    tx.emit("companies.updated", store::companies::to_json(company));
  }
  static void remove(Tx& tx, const std::string& id) {
    if (store::companies::remove(tx.connection, id)) tx.emit("companies.deleted", json::object{{"id", id}});
  }
};

struct Deals {
  using Record = Deal;
  static constexpr std::string_view table = "deals";
  static bool closed(const std::string& stage) { return stage == "won" || stage == "lost"; }
  static std::optional<Deal> find(store::Connection& c, const std::string& id) { return store::deals::find(c, id); }
  static Deal make(const Endpoint&, const SyncOptions& options, std::int64_t now) {
    Deal deal;
    deal.id = core::new_id();
    deal.stage = options.stages.empty() ? "prospecting" : options.stages.front();
    deal.created_at = deal.updated_at = deal.stage_changed_at = now;
    return deal;
  }
  static void insert(Tx& tx, const std::vector<Deal>& deals) {
    std::vector<store::deals::History> histories;
    for (auto deal : deals) {
      deal.stage_changed_at = deal.created_at;
      if (closed(deal.stage)) deal.closed_at = deal.created_at;
      store::deals::StageChange first{std::nullopt, deal.stage, std::nullopt, deal.created_at};
      histories.push_back({deal, {first}});
    }
    store::deals::insert(tx.connection, histories);
    for (const auto& history : histories) tx.emit("deals.created", store::deals::to_json(history.deal));
  }
  static void update(Tx& tx, const Deal& before, Deal deal) {
    if (deal.stage != before.stage) {
      deal.stage_changed_at = deal.updated_at;
      deal.closed_at = closed(deal.stage) ? std::optional(deal.updated_at) : std::nullopt;
      store::deals::StageChange change{before.stage, deal.stage, std::nullopt, deal.updated_at};
      store::deals::add_stage_change(tx.connection, deal.id, change);
      auto event = store::deals::to_json(change);
      event["id"] = deal.id;
      event["name"] = deal.name;
      tx.emit("deals.stage_changed", std::move(event));
    }
    store::deals::update(tx.connection, deal);
    tx.emit("deals.updated", store::deals::to_json(deal));
  }
  static void remove(Tx& tx, const std::string& id) {
    if (store::deals::remove(tx.connection, id)) tx.emit("deals.deleted", json::object{{"id", id}});
  }
};

// Links for the page's records that have none but whose match value (an email) is a local
// lead's not yet linked under this object: a person held here already (imported, or the Lead a
// Contact was converted from) is linked, not made twice. A lead linked under another of the
// integration's objects comes first (the converted Lead), else the oldest. Nothing is synced
// yet, so the fields that differ are settled as conflicts by each field's truth.
void link_people_by_email(store::Connection& c, const Endpoint& endpoint, const ObjectMap& map,
                          const std::vector<RemoteRecord>& records, std::map<std::string, Link>& links) {
  std::vector<std::string> emails;
  for (const auto& record : records)
    if (!links.contains(record.id)) emails.push_back(value_at(record.properties, map.match_field));
  auto leads = store::leads::find_by_emails(c, emails);
  if (leads.empty()) return;
  std::vector<std::string> ids;
  for (const auto& lead : leads) ids.push_back(lead.id);
  auto linked = store::sync::link_types_by_local(c, endpoint.integration_id, ids);
  auto type = std::string(name(map.type));
  std::map<std::string, std::vector<std::string>> candidates;  // by lower-case email, best first
  for (bool linked_elsewhere : {true, false}) {
    for (const auto& lead : leads) {
      auto types = linked.find(lead.id);
      if (types != linked.end() && types->second.contains(type)) continue;
      if ((types != linked.end()) == linked_elsewhere) candidates[model::lower(lead.email)].push_back(lead.id);
    }
  }
  std::set<std::string> taken;
  for (const auto& record : records) {
    if (links.contains(record.id)) continue;
    auto found = candidates.find(model::lower(value_at(record.properties, map.match_field)));
    if (found == candidates.end()) continue;
    for (const auto& local_id : found->second) {
      if (!taken.insert(local_id).second) continue;
      links.emplace(record.id, Link{endpoint.integration_id, type, local_id, record.id, {}, 0, 0});
      break;
    }
  }
}

// Calls `f` with the side of the object's local table: Leads, Companies or Deals.
template <class F>
auto with_side(ObjectType type, F&& f) {
  if (stored_as_lead(type)) return f(Leads{});
  if (type == ObjectType::company) return f(Companies{});
  return f(Deals{});
}

struct PageOutcome {
  std::int64_t changed = 0, conflicts = 0;
};

// One pulled page, in the writer's transaction: records created or updated, links, conflicts,
// the cursor past the page and the run's counts with this page's, all committed together. It
// changes nothing it was given (the writer may run a job twice): the caller adds the outcome
// to its run once the page committed.
template <class Side>
PageOutcome apply_page(Tx& tx, const Endpoint& endpoint, const ObjectMap& map, const SyncOptions& options,
                       const std::vector<RemoteRecord>& records, const Run& run, std::int64_t cursor) {
  auto& c = tx.connection;
  auto type = std::string(name(map.type));
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  auto links = store::sync::links_by_remote(c, endpoint.integration_id, type, ids);
  if constexpr (std::is_same_v<Side, Leads>) link_people_by_email(c, endpoint, map, records, links);
  PageOutcome outcome;
  auto now = core::now_ms();
  // Records new here, written together after the loop (by remote id, for one that comes twice).
  std::vector<typename Side::Record> created;
  std::vector<Link> created_links;
  std::map<std::string, std::size_t> created_index;
  for (const auto& record : records) {
    cursor = std::max(cursor, record.modified_at);
    auto remote = from_remote(map, record.properties, options.stages);
    auto linked = links.find(record.id);
    if (linked == links.end()) {
      auto [at, fresh] = created_index.emplace(record.id, created.size());
      if (fresh) {
        created.push_back(Side::make(endpoint, options, now));
        created_links.push_back(Link{endpoint.integration_id, type, created.back().id, record.id, {}, now, 0});
        ++outcome.changed;
      }
      crm::apply(remote, created[at->second]);
      created_links[at->second].synced_values = to_object(remote);
      created_links[at->second].remote_modified_at = record.modified_at;
      continue;
    }
    auto& link = linked->second;
    if (record.modified_at <= link.remote_modified_at) continue;  // seen already (our own push, or a page again)
    auto found = Side::find(c, link.local_id);
    if (!found) continue;  // deleted here: the push deletes it there (or keeps it, as `deletions` says)
    auto local = *found;
    auto synced = from_object(link.synced_values);
    auto current = local_values(map, local);
    Values take;
    bool local_pending = false;
    for (const auto& field : map.fields) {
      auto r = value_at(remote, field.local), s = value_at(synced, field.local), l = value_at(current, field.local);
      bool remote_changed = r != s, local_changed = l != s;
      if (!remote_changed) {
        local_pending |= local_changed && field.truth != Truth::remote;
        continue;
      }
      synced[field.local] = r;
      if (r == l) continue;  // both sides arrived at the same value
      bool take_remote = field.truth == Truth::remote ||
                         (field.truth == Truth::latest && (!local_changed || record.modified_at > local.updated_at));
      if (local_changed) {
        store::sync::Conflict conflict;
        conflict.id = core::new_id();
        conflict.integration_id = endpoint.integration_id;
        conflict.run_id = run.id;
        conflict.object_type = type;
        conflict.local_id = local.id;
        conflict.remote_id = record.id;
        conflict.field = field.local;
        conflict.local_value = l;
        conflict.remote_value = r;
        conflict.local_modified_at = local.updated_at;
        conflict.remote_modified_at = record.modified_at;
        conflict.rule = name(field.truth);
        conflict.applied = take_remote ? "remote" : "local";
        conflict.created_at = now;
        store::sync::insert(c, conflict);
        tx.emit("sync.conflict_found", store::sync::to_json(conflict));
        ++outcome.conflicts;
      }
      if (take_remote) take[field.local] = r;
      else local_pending = true;
    }
    auto before = local;
    if (crm::apply(take, local)) {
      local.updated_at = next_stamp(local.updated_at);
      Side::update(tx, before, local);
      ++outcome.changed;
    }
    link.synced_values = to_object(synced);
    link.remote_modified_at = record.modified_at;
    link.local_synced_at = local_pending ? 0 : local.updated_at;  // 0: the push looks at it
    store::sync::save(c, link, now);
  }
  Side::insert(tx, created);
  store::sync::save(c, created_links, now);
  auto counted = run;
  counted.pulled += outcome.changed;
  counted.conflicts += outcome.conflicts;
  store::sync::set_cursor(c, endpoint.integration_id, type, cursor, now);
  store::sync::update(c, counted);
  return outcome;
}

// Page after page from the cursor; each page is written while the next one is fetched.
template <class Side>
asio::awaitable<void> pull(store::Database& db, Client& client, const Endpoint& endpoint, const ObjectMap& map,
                           const SyncOptions& options, Run& run) {
  using namespace asio::experimental::awaitable_operators;
  auto type = std::string(name(map.type));
  auto cursor = db.read([&](store::Connection& c) { return store::sync::cursor(c, endpoint.integration_id, type); }).value_or(0);
  auto since = cursor;  // one search's filter, fixed while its pages follow
  auto page = co_await client.changes(map, since, "");
  for (;;) {
    auto records = std::move(page.records);
    auto next = std::move(page.next);
    bool truncated = page.truncated;
    auto job = [&, cursor](Tx& tx) { return apply_page<Side>(tx, endpoint, map, options, records, run, cursor); };
    for (const auto& r : records) cursor = std::max(cursor, r.modified_at);
    if (next.empty() && !truncated) {
      auto outcome = co_await store::write(db, job);
      run.pulled += outcome.changed;
      run.conflicts += outcome.conflicts;
      break;
    }
    if (truncated) since = cursor;  // the vendor's paging window ended: a new search from the cursor
    auto writing = store::write(db, job);
    auto fetching = client.changes(map, since, next);
    auto both = std::move(writing) && std::move(fetching);
    auto written_and_fetched = co_await std::move(both);
    run.pulled += std::get<0>(written_and_fetched).changed;
    run.conflicts += std::get<0>(written_and_fetched).conflicts;
    page = std::move(std::get<1>(written_and_fetched));
  }
}

// Local records to create remotely: split so that no batch holds two with the same match value
// (the answer's records are told apart by it).
template <class Record>
std::vector<std::vector<const Record*>> batches_by_match(const ObjectMap& map, const std::vector<Record>& records) {
  std::vector<std::vector<const Record*>> out;
  std::vector<std::set<std::string>> keys;
  for (const auto& record : records) {
    auto key = value_at(to_remote(map, local_values(map, record)), map.match_field);
    std::size_t i = 0;
    while (i < out.size() && keys[i].contains(key)) ++i;
    if (i == out.size()) out.emplace_back(), keys.emplace_back();
    out[i].push_back(&record);
    keys[i].insert(key);
  }
  return out;
}

// Creates remote records for these local ones: their links are written first without a remote
// id, so that a run stopped before it learnt the ids finds the records by match value.
template <class Side>
asio::awaitable<std::int64_t> push_creates(store::Database& db, Client& client, const Endpoint& endpoint, const ObjectMap& map,
                                           const std::vector<typename Side::Record>& records) {
  auto type = std::string(name(map.type));
  std::int64_t created = 0;
  for (const auto& batch : batches_by_match(map, records)) {
    std::vector<Values> properties;
    auto mark = [&](Tx& tx) {
      for (const auto* record : batch) {
        Link link{endpoint.integration_id, type, record->id, std::nullopt, json::object(), 0, 0};
        store::sync::save(tx.connection, link, core::now_ms());
      }
    };
    co_await store::write(db, mark);
    for (const auto* record : batch) {
      auto values = to_remote(map, local_values(map, *record));
      std::erase_if(values, [](const auto& value) { return value.second.empty(); });  // unset: not sent
      properties.push_back(std::move(values));
    }
    auto made = co_await client.create(map, properties);
    auto link_them = [&](Tx& tx) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Link link{endpoint.integration_id, type, batch[i]->id, made[i].id, to_object(local_values(map, *batch[i])),
                  batch[i]->updated_at, made[i].modified_at};
        store::sync::save(tx.connection, link, core::now_ms());
      }
    };
    co_await store::write(db, link_them);
    created += std::int64_t(batch.size());
  }
  co_return created;
}

// Links left without a remote id by a stopped run: linked to the record found by match value,
// or created now.
template <class Side>
asio::awaitable<std::int64_t> finish_creates(store::Database& db, Client& client, const Endpoint& endpoint, const ObjectMap& map,
                                             const SyncOptions& options) {
  auto type = std::string(name(map.type));
  auto unfinished = db.read([&](store::Connection& c) { return store::sync::unfinished_creates(c, endpoint.integration_id, type); });
  std::vector<typename Side::Record> to_create;
  for (const auto& pending : unfinished) {
    auto found = db.read([&](store::Connection& c) { return Side::find(c, pending.local_id); });
    if (!found) continue;
    auto key = value_at(to_remote(map, local_values(map, *found)), map.match_field);
    std::optional<RemoteRecord> match;
    if (!key.empty()) match = co_await client.find_match(map, key);
    if (!match) {
      to_create.push_back(*found);
      continue;
    }
    auto remote = from_remote(map, match->properties, options.stages);
    Link link{endpoint.integration_id, type, found->id, match->id, to_object(remote), 0, match->modified_at};
    auto job = [&](Tx& tx) { store::sync::save(tx.connection, link, core::now_ms()); };
    co_await store::write(db, job);
  }
  co_return co_await push_creates<Side>(db, client, endpoint, map, to_create);
}

// The CRM's deletions (the records it lists as deleted): each linked record is deleted here too
// (leads.deleted, deals.deleted) and its link dropped, a page per transaction.
template <class Side>
asio::awaitable<void> pull_removals(store::Database& db, Client& client, const Endpoint& endpoint, const ObjectMap& map,
                                    Run& run) {
  auto type = std::string(name(map.type));
  std::string next;
  do {
    auto page = co_await client.removed(map, next);
    next = page.next;
    std::vector<std::string> ids;
    for (const auto& r : page.records) ids.push_back(r.id);
    if (ids.empty()) continue;
    run.pulled += co_await store::write(db, [&](Tx& tx) {
      std::int64_t removed = 0;
      for (const auto& [remote_id, link] : store::sync::links_by_remote(tx.connection, endpoint.integration_id, type, ids)) {
        Side::remove(tx, link.local_id);
        store::sync::remove_link(tx.connection, endpoint.integration_id, type, link.local_id);
        ++removed;
      }
      return removed;
    });
  } while (!next.empty());
}

// Our deletions: each linked record deleted here is deleted there (HubSpot archives it), then
// its link dropped. A run stopped between the two deletes it there again next time: gone
// already counts as deleted.
template <class Side>
asio::awaitable<std::int64_t> push_removals(store::Database& db, Client& client, const Endpoint& endpoint,
                                            const ObjectMap& map) {
  auto type = std::string(name(map.type));
  std::int64_t pushed = 0;
  std::string after;
  do {
    auto page = db.read([&](store::Connection& c) {
      return store::sync::links_without_local(c, Side::table, endpoint.integration_id, type, after);
    });
    after = page.last;
    for (const auto& link : page.links) {
      if (link.remote_id) {
        co_await client.remove(map, *link.remote_id);
        ++pushed;
      }
      co_await store::write(db, [&](Tx& tx) {
        store::sync::remove_link(tx.connection, endpoint.integration_id, type, link.local_id);
      });
    }
  } while (!after.empty());
  co_return pushed;
}

template <class Side>
asio::awaitable<std::int64_t> push(store::Database& db, Client& client, const Endpoint& endpoint, const ObjectMap& map,
                                   const SyncOptions& options) {
  auto type = std::string(name(map.type));
  // A record linked under an object of the same table that creates nothing there (a Contact)
  // is that object's to push (not the Lead's it was converted from).
  store::sync::PushScope scope{map.creates, {}};
  for (const auto& other : endpoint.mapping.objects)
    if (map.creates && !other.creates && local_table(other.type) == Side::table)
      scope.yield_to.emplace_back(name(other.type));
  std::int64_t pushed = 0;
  std::string after;
  for (;;) {
    auto ids = db.read([&](store::Connection& c) {
      return store::sync::changed_since_sync(c, Side::table, endpoint.integration_id, type, scope, after, options.push_batch);
    });
    if (ids.empty()) break;
    after = ids.back();
    std::vector<typename Side::Record> to_create;
    std::vector<Link> updated;
    std::vector<Link> changing;  // updated once the vendor took their changes
    std::vector<std::pair<std::string, Values>> changes;  // remote id, properties
    std::vector<std::string> gone;  // local ids whose remote record is deleted
    for (const auto& id : ids) {
      auto [record, link] = db.read([&](store::Connection& c) {
        return std::pair(Side::find(c, id), store::sync::link_by_local(c, endpoint.integration_id, type, id));
      });
      if (!record) continue;
      if (!link) {
        to_create.push_back(*record);
        continue;
      }
      auto current = local_values(map, *record);
      auto synced = from_object(link->synced_values);
      Values changed;
      for (const auto& field : map.fields) {
        auto l = value_at(current, field.local);
        if (field.truth != Truth::remote && l != value_at(synced, field.local)) changed[field.local] = synced[field.local] = l;
      }
      link->synced_values = to_object(synced);
      link->local_synced_at = record->updated_at;
      if (changed.empty()) {
        updated.push_back(std::move(*link));
      } else {
        changes.emplace_back(*link->remote_id, to_remote(map, changed));
        changing.push_back(std::move(*link));
      }
    }
    auto answers = co_await client.update_many(map, std::move(changes));
    for (std::size_t i = 0; i < changing.size(); ++i) {
      if (!answers[i]) {  // deleted there (Salesforce shows its deletions so): deleted here too, if pulled
        if (endpoint.pull_deletions) gone.push_back(changing[i].local_id);
        continue;
      }
      changing[i].remote_modified_at = std::max(changing[i].remote_modified_at, answers[i]->modified_at);
      updated.push_back(std::move(changing[i]));
      ++pushed;
    }
    auto job = [&](Tx& tx) {
      for (const auto& link : updated) store::sync::save(tx.connection, link, core::now_ms());
      for (const auto& id : gone) {
        Side::remove(tx, id);
        store::sync::remove_link(tx.connection, endpoint.integration_id, type, id);
      }
    };
    co_await store::write(db, job);
    pushed += co_await push_creates<Side>(db, client, endpoint, map, to_create);
  }
  co_return pushed;
}

}  // namespace

Endpoint endpoint_for(const store::sync::IntegrationRow& integration, std::string_view master_key) {
  auto kind = vendor(integration.type);
  if (!kind) throw core::Error(core::ErrorKind::bad_request, "only hubspot and salesforce integrations sync CRM records");
  Endpoint endpoint;
  endpoint.integration_id = integration.id;
  endpoint.vendor = *kind;
  const auto* base = integration.config.if_contains(*kind == Vendor::hubspot ? "base_url" : "instance_url");
  endpoint.base_url = base && base->is_string() ? std::string(base->as_string())
                      : *kind == Vendor::hubspot ? "https://api.hubapi.com" : "";
  auto credentials = integration.credentials_sealed ? auth::unseal(master_key, *integration.credentials_sealed) : std::nullopt;
  auto parsed = credentials ? core::parse_stored(*credentials, nullptr) : json::value(nullptr);
  if (!parsed.is_object()) throw core::Error(core::ErrorKind::bad_request, "the integration has no usable credentials");
  endpoint.credentials = std::move(parsed.get_object());
  endpoint.mapping = parse_mapping(*kind, integration.config);
  const auto* deletions = integration.config.if_contains("deletions");
  std::string_view which = deletions && deletions->is_string() ? std::string_view(deletions->get_string()) : "both";
  endpoint.pull_deletions = which == "both" || which == "pull";
  endpoint.push_deletions = which == "both" || which == "push";
  return endpoint;
}

bool sync_due(store::Connection& c, const std::string& integration_id, std::int64_t every_ms, std::int64_t now) {
  auto last = store::sync::last_started(c, integration_id);
  return !last || *last + every_ms <= now;
}

std::optional<Run> begin_run(Tx& tx, const std::string& integration_id, const RunStart& start) {
  auto& c = tx.connection;
  auto now = core::now_ms();
  store::sync::interrupt_running(c, false, now);
  if (store::sync::running_run(c, integration_id))
    throw core::Error(core::ErrorKind::conflict, "a sync of this integration is running");
  if (start.every_ms && !sync_due(c, integration_id, *start.every_ms, now)) return std::nullopt;
  Run run;
  run.id = core::new_id();
  run.integration_id = integration_id;
  run.started_at = now;
  run.origin = start.origin;
  run.lease_owner = start.owner;
  run.lease_expires_at = now + start.lease_ms;
  store::sync::insert(c, run);  // another node's run begun meanwhile: the unique index makes this a conflict
  tx.emit("sync.run_started", store::sync::to_json(run));
  return run;
}

asio::awaitable<Run> run_sync(store::Database& db, Client& client, const Endpoint& endpoint, Run run, SyncOptions options) {
  std::optional<std::string> error;
  try {
    // Creates a stopped run left unlinked come first: the pull would take their records for new ones.
    for (const auto& map : endpoint.mapping.objects)
      run.pushed += co_await with_side(map.type, [&](auto side) {
        return finish_creates<decltype(side)>(db, client, endpoint, map, options);
      });
    for (const auto& map : endpoint.mapping.objects) {
      co_await with_side(map.type, [&](auto side) { return pull<decltype(side)>(db, client, endpoint, map, options, run); });
      if (endpoint.pull_deletions)
        co_await with_side(map.type, [&](auto side) { return pull_removals<decltype(side)>(db, client, endpoint, map, run); });
    }
    for (const auto& map : endpoint.mapping.objects) {
      if (endpoint.push_deletions)
        run.pushed += co_await with_side(map.type, [&](auto side) { return push_removals<decltype(side)>(db, client, endpoint, map); });
      run.pushed += co_await with_side(map.type, [&](auto side) { return push<decltype(side)>(db, client, endpoint, map, options); });
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  auto finishing = finish_run(db, std::move(run), std::move(error));
  co_return co_await std::move(finishing);
}

asio::awaitable<Run> finish_run(store::Database& db, Run run, std::optional<std::string> error) {
  run.status = error ? "failed" : "succeeded";
  run.error = error;
  run.finished_at = core::now_ms();
  if (error) spdlog::warn("sync of integration {} failed: {}", run.integration_id, *error);
  auto finish = [&](Tx& tx) {
    store::sync::update(tx.connection, run);
    tx.emit("sync.run_finished", store::sync::to_json(run));
  };
  co_await store::write(db, finish);
  co_return run;
}

store::sync::Conflict resolve_conflict(Tx& tx, const std::string& id, const std::string& value,
                                       const std::optional<std::string>& by) {
  auto& c = tx.connection;
  auto conflict = store::sync::find_conflict(c, id);
  if (!conflict) throw core::not_found("sync conflict", id);
  if (conflict->status != "open") throw core::Error(core::ErrorKind::conflict, "this conflict is resolved already");
  if (value != "local" && value != "remote") throw core::validation_error("value", "must be local or remote");
  Values chosen{{conflict->field, value == "local" ? conflict->local_value : conflict->remote_value}};
  auto type = object_type(conflict->object_type);
  auto now = core::now_ms();
  // The record takes the value; a changed record is pushed by the next run where it differs
  // from what the remote holds.
  with_side(type.value_or(ObjectType::deal), [&](auto side) {
    using Side = decltype(side);
    auto found = Side::find(c, conflict->local_id);
    if (!found) return;
    auto record = *found;
    if (!crm::apply(chosen, record)) return;
    record.updated_at = next_stamp(record.updated_at);
    Side::update(tx, *found, record);
  });
  store::sync::resolve(c, id, value, by, now);
  tx.emit("sync.conflict_resolved", json::object{{"id", id}, {"value", value}});
  return *store::sync::find_conflict(c, id);
}

}  // namespace de::integrations::crm
