// CRM sync (src/integrations/crm) against the stateful HubSpot stand-in
// (tests/support/standins/hubspot_standin.py), which checks every request against the
// contract page: a request it rejects fails the test.
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "ai/http_client.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "integrations/crm/sync.hpp"
#include "standin_process.hpp"
#include "store/company_repository.hpp"
#include "store/sync_repository.hpp"
#include "test_database.hpp"

namespace de::integrations::crm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

template <class T>
T run(asio::awaitable<T> work) {
  asio::io_context io;
  auto result = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return result.get();
}

asio::awaitable<ai::HttpAnswer> call(std::string method, std::string url, std::string body) {
  ai::HttpHeaders headers;
  headers.emplace_back("content-type", "application/json");
  co_return co_await ai::request(co_await asio::this_coro::executor, std::move(method), std::move(url), std::move(headers),
                                 std::move(body), 30s);
}

// A CRM stand-in (hubspot_standin.py or salesforce_standin.py) and its test endpoints.
class CrmStandIn : public de::testing::StandInProcess {
 public:
  CrmStandIn(const std::string& script, const std::vector<std::string>& options)
      : StandInProcess(DE_SOURCE_DIR "/tests/support/standins/" + script, options) {}

  json::value admin(const std::string& path, const json::object& body = {}) const {
    auto answer = run(call(body.empty() ? "GET" : "POST", base_url() + path, body.empty() ? "" : json::serialize(body)));
    if (answer.status != 200) throw std::runtime_error(path + ": HTTP " + std::to_string(answer.status) + " " + answer.body);
    return json::parse(answer.body);
  }
  json::array records(const std::string& type) const { return admin("/__records?type=" + type).as_array(); }
  std::int64_t rejected() const {
    auto stats = admin("/__stats").as_object();
    for (const auto& r : stats.at("rejections").as_array()) ADD_FAILURE() << "the contract rejected: " << r.as_string();
    return stats.at("rejected").as_int64();
  }
};

class HubSpotStandIn : public CrmStandIn {
 public:
  explicit HubSpotStandIn(const std::vector<std::string>& options = {}) : CrmStandIn("hubspot_standin.py", options) {}
  // A person's edit at HubSpot; the record's modification time moves on.
  void edit(const std::string& type, const std::string& id, json::object properties) const {
    admin("/__edit", json::object{{"type", type}, {"id", id}, {"properties", std::move(properties)}});
  }
};

class SalesforceStandIn : public CrmStandIn {
 public:
  explicit SalesforceStandIn(const std::vector<std::string>& options = {}) : CrmStandIn("salesforce_standin.py", options) {}
  void edit(const std::string& type, const std::string& id, json::object fields) const {
    admin("/__edit", json::object{{"type", type}, {"id", id}, {"fields", std::move(fields)}});
  }
};

#define SKIP_OR_FAIL_WITHOUT(stand_in)                                                                \
  if (!(stand_in).problem().empty()) {                                                               \
    if ((stand_in).problem().starts_with("no-contracts") && !std::getenv("DE_TEST_REQUIRE_POSTGRES")) \
      GTEST_SKIP() << (stand_in).problem();                                                          \
    FAIL() << (stand_in).problem();                                                                  \
  }

Endpoint hubspot_endpoint(const std::string& base_url) {
  Endpoint e;
  e.integration_id = core::new_id();
  e.vendor = Vendor::hubspot;
  e.base_url = base_url;
  e.credentials = json::object{{"access_token", "pat-test-token"}};
  e.mapping = parse_mapping(Vendor::hubspot, json::object());
  return e;
}

// `config`: the integration's config (its mapping, say).
Endpoint salesforce_endpoint(const std::string& base_url, const json::object& config = {}) {
  Endpoint e;
  e.integration_id = core::new_id();
  e.vendor = Vendor::salesforce;
  e.base_url = base_url;
  e.credentials = json::object{{"client_id", "sf-client"}, {"client_secret", "sf-secret"}};
  e.mapping = parse_mapping(Vendor::salesforce, config);
  return e;
}

SyncOptions options() {
  SyncOptions o;
  o.stages = {"prospecting", "engaging", "proposal", "negotiation", "won", "lost"};
  return o;
}

store::sync::Run sync_once(store::Database& db, const Endpoint& endpoint, RetryPolicy retry = {}) {
  auto begun = db.write_sync([&](store::Tx& tx) { return begin_run(tx, endpoint.integration_id, RunStart{}); });
  return run([&]() -> asio::awaitable<store::sync::Run> {
    auto client = make_client(co_await asio::this_coro::executor, endpoint, retry);
    co_return co_await run_sync(db, *client, endpoint, *begun, options());
  }());
}

std::int64_t count(store::Database& db, const std::string& sql) {
  return db.read([&](store::Connection& c) { return c.query(sql).rows.at(0).integer(0); });
}

store::leads::Lead local_lead(const std::string& name, const std::string& email) {
  store::leads::Lead lead;
  lead.id = core::new_id();
  lead.name = name;
  lead.email = email;
  lead.company = "Local Ltd";
  lead.source = "web";
  lead.created_at = lead.updated_at = core::now_ms();
  return lead;
}

std::optional<json::object> find_by(const json::array& records, std::string_view property, std::string_view value) {
  for (const auto& r : records) {
    // HubSpot's records hold their values in "properties", Salesforce's at the top.
    const auto& props = r.as_object().contains("properties") ? r.at("properties").as_object() : r.as_object();
    if (props.contains(property) && props.at(property).is_string() && props.at(property).as_string() == value)
      return r.as_object();
  }
  return std::nullopt;
}

class CrmSync : public de::testing::BackendTest {};

TEST_P(CrmSync, TwoWayWithAConflictThenIdempotent) {
  HubSpotStandIn hubspot({"--limit-every", "7"});  // every 7th call answered 429: retried
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", 3}, {"prefix", "remote"}});
  hubspot.admin("/__seed", json::object{{"type", "deals"}, {"count", 2}, {"prefix", "remote"}});
  auto alice = local_lead("Alice Local", "alice@local.example");
  auto bob = local_lead("Bob Local", "bob@local.example");
  store::deals::Deal deal;
  deal.id = core::new_id();
  deal.name = "Local deal";
  deal.stage = "proposal";
  deal.amount_minor = 250050;
  deal.created_at = deal.updated_at = deal.stage_changed_at = core::now_ms();
  db().write_sync([&](store::Tx& tx) {
    store::leads::insert(tx.connection, alice);
    store::leads::insert(tx.connection, bob);
    store::deals::insert(tx.connection, {{deal, {{std::nullopt, deal.stage, std::nullopt, deal.created_at}}}});
  });
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  RetryPolicy quick;
  quick.first_wait = 50ms;

  auto first = sync_once(db(), endpoint, quick);
  EXPECT_EQ(first.status, "succeeded") << first.error.value_or("");
  EXPECT_EQ(first.pulled, 5);  // 3 contacts and 2 deals made here
  EXPECT_EQ(first.pushed, 3);  // 2 leads and a deal made there
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads"), 5);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM deals"), 3);
  auto contacts = hubspot.records("contacts");
  ASSERT_EQ(contacts.size(), 5u);
  auto alice_there = find_by(contacts, "email", "alice@local.example");
  ASSERT_TRUE(alice_there);
  EXPECT_EQ(alice_there->at("properties").at("firstname").as_string(), "Alice");
  EXPECT_EQ(alice_there->at("properties").at("lastname").as_string(), "Local");
  auto deals = hubspot.records("deals");
  ASSERT_EQ(deals.size(), 3u);
  auto deal_there = find_by(deals, "dealname", "Local deal");
  ASSERT_TRUE(deal_there);
  EXPECT_EQ(deal_there->at("properties").at("amount").as_string(), "2500.50");
  EXPECT_EQ(deal_there->at("properties").at("dealstage").as_string(), "presentationscheduled");
  auto pulled_deal = db().read([&](store::Connection& c) {
    return c.query("SELECT stage, amount_minor, expected_close FROM deals WHERE name = 'remote deal 1'").rows.at(0);
  });
  EXPECT_EQ(pulled_deal.text(0), "engaging");  // qualifiedtobuy, by the default mapping
  EXPECT_EQ(pulled_deal.integer(1), 100100);
  EXPECT_EQ(pulled_deal.text(2), "2027-01-31");

  // Both sides change Alice's company; only we change Bob's name, only they change a remote contact.
  auto alice_id = std::string(alice_there->at("id").as_string());
  db().write_sync([&](store::Tx& tx) {
    auto a = *store::leads::find(tx.connection, alice.id);
    a.company = "Ours Inc";
    a.updated_at = core::now_ms();
    store::leads::update(tx.connection, a);
    auto b = *store::leads::find(tx.connection, bob.id);
    b.name = "Robert Local";
    b.updated_at = core::now_ms();
    store::leads::update(tx.connection, b);
  });
  std::this_thread::sleep_for(5ms);  // theirs is the later change: "latest" takes it
  hubspot.edit("contacts", alice_id, json::object{{"company", "Theirs LLC"}});
  auto remote0 = find_by(contacts, "email", "remote0@example.com");
  ASSERT_TRUE(remote0);
  hubspot.edit("contacts", std::string(remote0->at("id").as_string()), json::object{{"phone", "+15550000999"}});

  auto second = sync_once(db(), endpoint, quick);
  EXPECT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.conflicts, 1);
  EXPECT_EQ(second.pushed, 1);  // Bob's new name; Alice's company came from there
  auto conflicts = db().read([](store::Connection& c) { return store::sync::conflicts(c, "open", {}); }).items;
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].field, "company");
  EXPECT_EQ(conflicts[0].local_value, "Ours Inc");
  EXPECT_EQ(conflicts[0].remote_value, "Theirs LLC");
  EXPECT_EQ(conflicts[0].rule, "latest");
  EXPECT_EQ(conflicts[0].applied, "remote");
  // Told as it was found, with both values.
  auto found = db().read([](store::Connection& c) {
    return c.query("SELECT data FROM events WHERE topic = 'sync.conflict_found'").rows;
  });
  ASSERT_EQ(found.size(), 1u);
  auto told = core::parse_object(found[0].text(0));
  EXPECT_EQ(told.at("id").as_string(), conflicts[0].id);
  EXPECT_EQ(told.at("field"), "company");
  EXPECT_EQ(told.at("local_value"), "Ours Inc");
  EXPECT_EQ(told.at("remote_value"), "Theirs LLC");
  EXPECT_EQ(db().read([&](store::Connection& c) { return store::leads::find(c, alice.id); })->company, "Theirs LLC");
  auto pulled_phone = db().read([&](store::Connection& c) {
    return c.query("SELECT attributes FROM leads WHERE email = 'remote0@example.com'").rows.at(0).text(0);
  });
  EXPECT_NE(pulled_phone.find("+15550000999"), std::string::npos);
  contacts = hubspot.records("contacts");
  auto bob_there = find_by(contacts, "email", "bob@local.example");
  ASSERT_TRUE(bob_there);
  EXPECT_EQ(bob_there->at("properties").at("firstname").as_string(), "Robert");

  // Nothing changed since: a run changes nothing on either side.
  auto third = sync_once(db(), endpoint, quick);
  EXPECT_EQ(third.status, "succeeded") << third.error.value_or("");
  EXPECT_EQ(third.pulled, 0);
  EXPECT_EQ(third.pushed, 0);
  EXPECT_EQ(third.conflicts, 0);
  EXPECT_EQ(hubspot.records("contacts").size(), 5u);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads"), 5);

  // A person keeps our value: the next run pushes it.
  auto resolved = db().write_sync([&](store::Tx& tx) { return resolve_conflict(tx, conflicts[0].id, "local", "person"); });
  EXPECT_EQ(resolved.status, "resolved");
  EXPECT_THROW(db().write_sync([&](store::Tx& tx) { resolve_conflict(tx, conflicts[0].id, "remote", "person"); }), core::Error);
  auto fourth = sync_once(db(), endpoint, quick);
  EXPECT_EQ(fourth.pushed, 1);
  auto alice_after = find_by(hubspot.records("contacts"), "email", "alice@local.example");
  ASSERT_TRUE(alice_after);
  EXPECT_EQ(alice_after->at("properties").at("company").as_string(), "Ours Inc");
  auto runs = db().read([&](store::Connection& c) { return store::sync::runs(c, endpoint.integration_id, {}); }).items;
  EXPECT_EQ(runs.size(), 4u);
  EXPECT_EQ(hubspot.rejected(), 0);
}

TEST_P(CrmSync, SourceOfTruthPerFieldDecidesAConflict) {
  HubSpotStandIn hubspot;
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", 1}, {"prefix", "one"}});
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  auto config = json::parse(R"({"mapping": {"contact": {"fields": [
      {"local": "email", "remote": "email"},
      {"local": "company", "remote": "company", "truth": "local"}]}, "deal": null}})").as_object();
  endpoint.mapping = parse_mapping(Vendor::hubspot, config);
  ASSERT_EQ(sync_once(db(), endpoint).status, "succeeded");
  auto id = db().read([](store::Connection& c) { return c.query("SELECT id FROM leads").rows.at(0).text(0); });
  auto remote_id = std::string(hubspot.records("contacts").at(0).at("id").as_string());
  std::this_thread::sleep_for(2ms);
  hubspot.edit("contacts", remote_id, json::object{{"company", "Theirs"}});  // theirs is older...
  std::this_thread::sleep_for(2ms);
  db().write_sync([&](store::Tx& tx) {
    auto lead = *store::leads::find(tx.connection, id);
    lead.company = "Ours";
    lead.updated_at = core::now_ms();
    store::leads::update(tx.connection, lead);
  });
  hubspot.edit("contacts", remote_id, json::object{{"company", "Theirs, later"}});  // ...and now the later one
  auto outcome = sync_once(db(), endpoint);
  EXPECT_EQ(outcome.conflicts, 1);
  EXPECT_EQ(db().read([&](store::Connection& c) { return store::leads::find(c, id); })->company, "Ours");
  EXPECT_EQ(hubspot.records("contacts").at(0).at("properties").at("company").as_string(), "Ours");
  EXPECT_EQ(hubspot.rejected(), 0);
}

// A run stopped after HubSpot made a record but before the link learnt its id (the link is
// written first, without one): the next run finds the record by email instead of making another.
TEST_P(CrmSync, ACreateCutShortIsLinkedNotMadeTwice) {
  HubSpotStandIn hubspot;
  SKIP_OR_FAIL_WITHOUT(hubspot);
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  endpoint.mapping.objects.pop_back();  // contacts only
  auto kept = local_lead("Kim Local", "kim@local.example");
  db().write_sync([&](store::Tx& tx) {
    store::leads::insert(tx.connection, kept);
    store::sync::Link pending{endpoint.integration_id, "contact", kept.id, std::nullopt, json::object(), 0, 0};
    store::sync::save(tx.connection, pending, core::now_ms());
  });
  // What the cut-short run had already made there.
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", 1}, {"prefix", "kim"}});
  auto seeded = std::string(hubspot.records("contacts").at(0).at("id").as_string());
  hubspot.edit("contacts", seeded, json::object{{"email", "kim@local.example"}, {"firstname", "Kim"}, {"lastname", "Local"}});

  auto outcome = sync_once(db(), endpoint);
  EXPECT_EQ(outcome.status, "succeeded") << outcome.error.value_or("");
  EXPECT_EQ(hubspot.records("contacts").size(), 1u);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads"), 1);
  auto link = db().read([&](store::Connection& c) { return store::sync::link_by_local(c, endpoint.integration_id, "contact", kept.id); });
  ASSERT_TRUE(link);
  EXPECT_EQ(link->remote_id, seeded);
  EXPECT_EQ(hubspot.rejected(), 0);
}

TEST_P(CrmSync, SalesforceTwoWayWithTokenRefreshAndPaging) {
  SalesforceStandIn salesforce({"--batch", "5", "--session-calls", "4"});  // pages of 5; a token lasts 4 calls
  SKIP_OR_FAIL_WITHOUT(salesforce);
  salesforce.admin("/__seed", json::object{{"type", "Lead"}, {"count", 12}, {"prefix", "sf"}});
  salesforce.admin("/__seed", json::object{{"type", "Opportunity"}, {"count", 3}, {"prefix", "sf"}});
  auto sam = local_lead("Sam Local", "sam@local.example");
  store::deals::Deal deal;
  deal.id = core::new_id();
  deal.name = "Local opportunity";
  deal.stage = "negotiation";
  deal.amount_minor = 990000;
  deal.expected_close = "2027-06-30";  // Salesforce requires a close date
  deal.created_at = deal.updated_at = deal.stage_changed_at = core::now_ms();
  db().write_sync([&](store::Tx& tx) {
    store::leads::insert(tx.connection, sam);
    store::deals::insert(tx.connection, {{deal, {{std::nullopt, deal.stage, std::nullopt, deal.created_at}}}});
  });
  auto endpoint = salesforce_endpoint(salesforce.base_url());

  auto first = sync_once(db(), endpoint);
  EXPECT_EQ(first.status, "succeeded") << first.error.value_or("");
  EXPECT_EQ(first.pulled, 15);
  EXPECT_EQ(first.pushed, 2);
  auto opportunities = salesforce.records("Opportunity");
  ASSERT_EQ(opportunities.size(), 4u);
  auto made = find_by(opportunities, "Name", "Local opportunity");
  ASSERT_TRUE(made);
  EXPECT_EQ(made->at("StageName").as_string(), "Negotiation/Review");
  EXPECT_DOUBLE_EQ(made->at("Amount").to_number<double>(), 9900.0);
  auto stage = db().read([](store::Connection& c) {
    return c.query("SELECT stage, amount_minor FROM deals WHERE name = 'sf deal 2'").rows.at(0);
  });
  EXPECT_EQ(stage.text(0), "engaging");
  EXPECT_EQ(stage.integer(1), 100200);

  auto leads = salesforce.records("Lead");
  auto sf3 = find_by(leads, "Email", "sf3@example.com");
  ASSERT_TRUE(sf3);
  salesforce.edit("Lead", std::string(sf3->at("Id").as_string()), json::object{{"Company", "Renamed There"}});
  auto second = sync_once(db(), endpoint);
  EXPECT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.pulled, 1);
  EXPECT_EQ(second.pushed, 0);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE company = 'Renamed There'"), 1);
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pulled + third.pushed + third.conflicts, 0);
  EXPECT_EQ(salesforce.records("Lead").size(), 13u);
  EXPECT_GT(salesforce.admin("/__stats").at("tokens").as_int64(), 1) << "expired sessions were renewed";
  EXPECT_EQ(salesforce.rejected(), 0);
}

// Our changes go to HubSpot in batch updates; a record a batch leaves out (207: archived there)
// is tried on its own, whose 404 says it is deleted there.
TEST_P(CrmSync, HubSpotChangesGoInOneBatchUpdate) {
  HubSpotStandIn hubspot;
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", 5}, {"prefix", "many"}});
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  endpoint.mapping = parse_mapping(Vendor::hubspot, json::object{{"mapping", json::object{{"deal", nullptr}}}});
  endpoint.pull_deletions = endpoint.push_deletions = false;  // the archived one reaches the push
  ASSERT_EQ(sync_once(db(), endpoint).pulled, 5);
  auto gone = find_by(hubspot.records("contacts"), "email", "many4@example.com");
  ASSERT_TRUE(gone);
  hubspot.admin("/__archive", json::object{{"type", "contacts"}, {"id", gone->at("id")}});
  db().write_sync([&](store::Tx& tx) {
    tx.connection.query("UPDATE leads SET company = 'Batched Ltd', updated_at = updated_at + 1 WHERE email LIKE 'many%'");
  });
  auto second = sync_once(db(), endpoint);
  ASSERT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.pushed, 4);
  auto served = hubspot.admin("/__stats").at("by_operation").as_object();
  EXPECT_EQ(served.at("batch update").as_int64(), 1) << "four changes, one call";
  EXPECT_EQ(served.at("update").as_int64(), 1) << "the one the batch left out, on its own (404)";
  for (const auto& c : hubspot.records("contacts"))
    EXPECT_EQ(c.at("properties").at("company").as_string(), "Batched Ltd") << json::serialize(c);
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pushed, 0) << "the archived one is not counted as pushed";
  EXPECT_EQ(hubspot.rejected(), 0);
}

// Deletions both ways: a contact archived at HubSpot is deleted here (leads.deleted), a lead
// deleted here is archived there; then a run that changes nothing. With `deletions` none,
// neither goes.
TEST_P(CrmSync, HubSpotDeletionsGoBothWays) {
  HubSpotStandIn hubspot;
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", 4}, {"prefix", "gone"}});
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  endpoint.mapping = parse_mapping(Vendor::hubspot, json::object{{"mapping", json::object{{"deal", nullptr}}}});
  ASSERT_EQ(sync_once(db(), endpoint).pulled, 4);
  auto contacts = hubspot.records("contacts");
  auto zero = find_by(contacts, "email", "gone0@example.com"), one = find_by(contacts, "email", "gone1@example.com");
  ASSERT_TRUE(zero && one);
  hubspot.admin("/__archive", json::object{{"type", "contacts"}, {"id", zero->at("id")}});
  auto local_one = db().read([](store::Connection& c) {
    return c.query("SELECT id FROM leads WHERE email = 'gone1@example.com'").rows.at(0).text(0);
  });
  db().write_sync([&](store::Tx& tx) { store::leads::remove(tx.connection, local_one); });

  auto second = sync_once(db(), endpoint);
  EXPECT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.pulled, 1);  // the archived one, deleted here
  EXPECT_EQ(second.pushed, 1);  // ours, archived there
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE email LIKE 'gone%'"), 2);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE email = 'gone0@example.com'"), 0);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM events WHERE topic = 'leads.deleted'"), 1);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM sync_links"), 2);
  EXPECT_EQ(hubspot.records("contacts").size(), 2u);
  EXPECT_FALSE(find_by(hubspot.records("contacts"), "email", "gone1@example.com"));
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pulled + third.pushed + third.conflicts, 0);

  // Deletions kept to each side.
  endpoint.pull_deletions = endpoint.push_deletions = false;
  auto two = find_by(hubspot.records("contacts"), "email", "gone2@example.com");
  ASSERT_TRUE(two);
  hubspot.admin("/__archive", json::object{{"type", "contacts"}, {"id", two->at("id")}});
  db().write_sync([&](store::Tx& tx) {
    tx.connection.query("DELETE FROM leads WHERE email = 'gone3@example.com'");
  });
  auto kept = sync_once(db(), endpoint);
  EXPECT_EQ(kept.pulled + kept.pushed, 0);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE email = 'gone2@example.com'"), 1);
  EXPECT_TRUE(find_by(hubspot.records("contacts"), "email", "gone3@example.com"));
  EXPECT_EQ(hubspot.rejected(), 0);
}

// Salesforce lists no deletions in the REST subset: one shows when an update is answered 404.
// Ours are deleted there with the sObject DELETE.
TEST_P(CrmSync, SalesforceDeletionsShowOnPushAndGoThere) {
  SalesforceStandIn salesforce;
  SKIP_OR_FAIL_WITHOUT(salesforce);
  salesforce.admin("/__seed", json::object{{"type", "Lead"}, {"count", 3}, {"prefix", "sfd"}});
  auto endpoint = salesforce_endpoint(salesforce.base_url(), json::object{{"mapping", json::object{{"deal", nullptr}}}});
  ASSERT_EQ(sync_once(db(), endpoint).pulled, 3);
  auto leads = salesforce.records("Lead");
  auto zero = find_by(leads, "Email", "sfd0@example.com"), one = find_by(leads, "Email", "sfd1@example.com");
  ASSERT_TRUE(zero && one);
  salesforce.admin("/__delete", json::object{{"type", "Lead"}, {"id", zero->at("Id")}});
  db().write_sync([&](store::Tx& tx) {  // changed here: the push finds it deleted there
    tx.connection.query("UPDATE leads SET company = 'Changed Here', updated_at = updated_at + 1 WHERE email = 'sfd0@example.com'");
    tx.connection.query("DELETE FROM leads WHERE email = 'sfd1@example.com'");
  });

  auto second = sync_once(db(), endpoint);
  EXPECT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.pushed, 1);  // sfd1 deleted there
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE email LIKE 'sfd%'"), 1);
  EXPECT_EQ(salesforce.records("Lead").size(), 1u);
  EXPECT_EQ(salesforce.admin("/__stats").at("deleted").as_int64(), 2);
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pulled + third.pushed + third.conflicts, 0);
  EXPECT_EQ(salesforce.rejected(), 0);
}

// Salesforce Contacts next to Leads: a Contact whose email is a person held here (any case) is
// linked to them, not made twice; people new here go there as Leads, never as Contacts; a Lead
// converted there is followed through its Contact, and the read-only converted Lead is left alone.
TEST_P(CrmSync, SalesforceContactsLinkToThePeopleHeldHere) {
  SalesforceStandIn salesforce;
  SKIP_OR_FAIL_WITHOUT(salesforce);
  auto known = local_lead("Person known 0", "KNOWN0@example.com");
  known.created_at = known.updated_at = core::now_ms() - 60'000;  // changed here before there
  auto sam = local_lead("Sam Local", "sam@local.example");
  db().write_sync([&](store::Tx& tx) { store::leads::insert(tx.connection, {known, sam}); });
  salesforce.admin("/__seed", json::object{{"type", "Lead"}, {"count", 2}, {"prefix", "conv"}});
  salesforce.admin("/__seed", json::object{{"type", "Contact"}, {"count", 2}, {"prefix", "known"}});
  auto endpoint = salesforce_endpoint(salesforce.base_url(), json::object{{"mapping", json::object{{"deal", nullptr}}}});

  auto first = sync_once(db(), endpoint);
  ASSERT_EQ(first.status, "succeeded") << first.error.value_or("");
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads"), 5) << "2 Leads and 1 new Contact pulled; known0 linked";
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE lower(email) = 'known0@example.com'"), 1);
  EXPECT_EQ(first.conflicts, 1) << "the email's case differs on both sides, never synced: the later change wins";
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads WHERE email = 'known0@example.com'"), 1);
  EXPECT_EQ(salesforce.records("Contact").size(), 2u) << "no Contact is created";
  auto leads = salesforce.records("Lead");
  EXPECT_EQ(leads.size(), 3u);
  EXPECT_TRUE(find_by(leads, "Email", "sam@local.example")) << "a person new here goes there as a Lead";
  EXPECT_FALSE(find_by(leads, "Email", "known0@example.com")) << "a person linked to a Contact is not made a Lead";

  auto conv0 = find_by(leads, "Email", "conv0@example.com");
  ASSERT_TRUE(conv0);
  salesforce.admin("/__convert", json::object{{"id", conv0->at("Id")}});
  db().write_sync([&](store::Tx& tx) {
    auto rows = tx.connection.query("SELECT id FROM leads WHERE email = 'conv0@example.com'").rows;
    auto lead = *store::leads::find(tx.connection, rows.at(0).text(0));
    lead.attributes["phone"] = "+1 555 0100";
    lead.updated_at = core::now_ms() + 1;
    store::leads::update(tx.connection, lead);
  });
  auto second = sync_once(db(), endpoint);
  ASSERT_EQ(second.status, "succeeded") << second.error.value_or("") << " (a PATCH of the converted Lead is refused)";
  EXPECT_EQ(count(db(), "SELECT count(*) FROM leads"), 5) << "the converted Lead's Contact is the same person";
  auto contact = find_by(salesforce.records("Contact"), "Email", "conv0@example.com");
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->at("Phone").as_string(), "+1 555 0100") << "our change goes to the Contact";
  EXPECT_EQ(salesforce.records("Contact").size(), 3u);
  EXPECT_EQ(salesforce.records("Lead").size(), 3u);
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pulled + third.pushed + third.conflicts, 0);
  EXPECT_EQ(salesforce.rejected(), 0);
}

store::companies::Company local_company(const std::string& name, const std::string& domain) {
  store::companies::Company company;
  company.id = core::new_id();
  company.name = name;
  company.domain = domain;
  company.created_at = company.updated_at = core::now_ms();
  return company;
}

// Companies sync when the mapping names them ({} keeps the default fields): HubSpot companies
// both ways with a change on each side, then a run that changes nothing; they become events
// (companies.*), from which the table is a projection.
TEST_P(CrmSync, HubSpotCompaniesBothWaysWhenTheMappingNamesThem) {
  HubSpotStandIn hubspot;
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "companies"}, {"count", 3}, {"prefix", "hc"}});
  auto ours = local_company("Local Co", "local.example");
  db().write_sync([&](store::Tx& tx) { store::companies::insert(tx.connection, {ours}); });
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  endpoint.mapping = parse_mapping(Vendor::hubspot, json::object{{"mapping", json::object{{"company", json::object()}, {"deal", nullptr}}}});

  auto first = sync_once(db(), endpoint);
  ASSERT_EQ(first.status, "succeeded") << first.error.value_or("");
  EXPECT_EQ(first.pulled, 3);
  EXPECT_EQ(first.pushed, 1);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM companies WHERE domain = 'hc1.example' AND name = 'hc company 1'"), 1);
  auto made = find_by(hubspot.records("companies"), "name", "Local Co");
  ASSERT_TRUE(made);
  EXPECT_EQ(made->at("properties").at("domain").as_string(), "local.example");

  auto hc0 = find_by(hubspot.records("companies"), "name", "hc company 0");
  ASSERT_TRUE(hc0);
  hubspot.edit("companies", std::string(hc0->at("id").as_string()), json::object{{"industry", "RETAIL"}});
  db().write_sync([&](store::Tx& tx) {
    auto company = *store::companies::find(tx.connection, ours.id);
    company.industry = "UTILITIES";
    company.updated_at = core::now_ms() + 1;
    store::companies::update(tx.connection, company);
  });
  auto second = sync_once(db(), endpoint);
  ASSERT_EQ(second.status, "succeeded") << second.error.value_or("");
  EXPECT_EQ(second.pulled, 1);
  EXPECT_EQ(second.pushed, 1);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM companies WHERE name = 'hc company 0' AND industry = 'RETAIL'"), 1);
  EXPECT_EQ(find_by(hubspot.records("companies"), "name", "Local Co")->at("properties").at("industry").as_string(), "UTILITIES");
  auto third = sync_once(db(), endpoint);
  EXPECT_EQ(third.pulled + third.pushed + third.conflicts, 0);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM events WHERE topic = 'companies.created'"), 3);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM events WHERE topic = 'companies.updated'"), 1);
  EXPECT_EQ(hubspot.rejected(), 0);
}

// Salesforce Accounts: pulled, and ours created there (the stand-in requires an Account's Name).
TEST_P(CrmSync, SalesforceAccountsBothWays) {
  SalesforceStandIn salesforce;
  SKIP_OR_FAIL_WITHOUT(salesforce);
  salesforce.admin("/__seed", json::object{{"type", "Account"}, {"count", 2}, {"prefix", "sa"}});
  db().write_sync([&](store::Tx& tx) { store::companies::insert(tx.connection, {local_company("Local Account", "")}); });
  auto endpoint = salesforce_endpoint(salesforce.base_url(),
                                      json::object{{"mapping", json::object{{"company", json::object()}, {"deal", nullptr}}}});
  auto first = sync_once(db(), endpoint);
  ASSERT_EQ(first.status, "succeeded") << first.error.value_or("");
  EXPECT_EQ(first.pulled, 2);
  EXPECT_EQ(first.pushed, 1);
  EXPECT_EQ(count(db(), "SELECT count(*) FROM companies WHERE name = 'sa account 1' AND industry = 'Software'"), 1);
  EXPECT_TRUE(find_by(salesforce.records("Account"), "Name", "Local Account"));
  auto second = sync_once(db(), endpoint);
  EXPECT_EQ(second.pulled + second.pushed + second.conflicts, 0);
  EXPECT_EQ(salesforce.rejected(), 0);
}

DE_BACKENDS(CrmSync);

// A sync killed (SIGKILL) in the middle of a large pull, then run again: every record once on
// each side, none lost.
TEST(CrmSyncRestart, KilledMidPullResumesWithoutDuplicatesOrLosses) {
  constexpr int records = 20'000;
  HubSpotStandIn hubspot({"--page-delay-ms", "25"});
  SKIP_OR_FAIL_WITHOUT(hubspot);
  hubspot.admin("/__seed", json::object{{"type", "contacts"}, {"count", records}, {"prefix", "bulk"}});
  auto dir = std::filesystem::temp_directory_path() / ("de-crm-" + core::new_id());
  std::filesystem::create_directories(dir);
  auto url = "sqlite:" + (dir / "sync.db").string();
  auto endpoint = hubspot_endpoint(hubspot.base_url());
  endpoint.mapping.objects.pop_back();  // contacts only
  {
    auto db = store::Database::open(url);
    db->migrate();
    db->write_sync([](store::Tx& tx) { store::leads::insert(tx.connection, local_lead("Only Here", "here@local.example")); });
  }  // closed: the child opens its own

  auto child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto db = store::Database::open(url);
    sync_once(*db, endpoint);
    _exit(0);
  }
  // Kill it once some pages are in, well before the end (told by the stand-in: another process
  // must not open the SQLite file while the sync writes it, docs/architecture.md).
  std::int64_t pages = 0;
  for (int i = 0; i < 2000 && pages < 15; ++i) {
    std::this_thread::sleep_for(10ms);
    auto served = hubspot.admin("/__stats").at("by_operation").as_object();
    pages = served.contains("search") ? served.at("search").as_int64() : 0;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto db = store::Database::open(url);
  auto seen = count(*db, "SELECT count(*) FROM sync_links");  // pulled ones: the push, at the end, links the local lead
  EXPECT_GT(seen, 0);
  EXPECT_LT(seen, records) << "the sync ended before it was killed";
  auto cursor_before = count(*db, "SELECT modified_ms FROM sync_cursors");

  // Restarted on one node: what ran before stopped (as SyncRunner::start marks it).
  db->write_sync([](store::Tx& tx) { store::sync::interrupt_running(tx.connection, true, core::now_ms()); });
  auto resumed = sync_once(*db, endpoint);
  EXPECT_EQ(resumed.status, "succeeded") << resumed.error.value_or("");
  EXPECT_EQ(resumed.pulled, records - seen) << "it went on from the committed cursor, each record once";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM leads"), records + 1);
  EXPECT_EQ(count(*db, "SELECT count(DISTINCT email) FROM leads"), records + 1);
  EXPECT_EQ(count(*db, "SELECT count(DISTINCT remote_id) FROM sync_links"), records + 1);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM sync_runs WHERE status = 'interrupted'"), 1);
  EXPECT_GE(count(*db, "SELECT modified_ms FROM sync_cursors"), cursor_before);
  EXPECT_EQ(hubspot.records("contacts").size(), std::size_t(records + 1));
  EXPECT_EQ(hubspot.rejected(), 0);
  db.reset();
  std::filesystem::remove_all(dir);
}

TEST(CrmMapping, ReadsBothWaysAndRefusesWhatItCannotMap) {
  auto mapping = parse_mapping(Vendor::hubspot, json::object());
  ASSERT_EQ(mapping.objects.size(), 2u);
  const auto& contacts = mapping.objects[0];
  auto remote = to_remote(contacts, Values{{"name", "Ada King Lovelace"}, {"email", "ada@example.com"}});
  EXPECT_EQ(remote.at("firstname"), "Ada");
  EXPECT_EQ(remote.at("lastname"), "King Lovelace");
  auto one_word = to_remote(contacts, Values{{"name", "Cher"}});
  EXPECT_EQ(one_word.at("firstname"), "");
  EXPECT_EQ(one_word.at("lastname"), "Cher") << "a last name is what Salesforce requires";
  auto local = from_remote(contacts, Values{{"firstname", "Ada"}, {"lastname", "King Lovelace"}}, {});
  EXPECT_EQ(local.at("name"), "Ada King Lovelace");
  const auto& deals = mapping.objects[1];
  auto deal = from_remote(deals, Values{{"amount", "12.5"}, {"dealstage", "closedwon"}, {"closedate", "2027-03-01T00:00:00Z"}},
                          {"prospecting", "won", "lost"});
  EXPECT_EQ(deal.at("amount"), "12.50");
  EXPECT_EQ(deal.at("stage"), "won");
  EXPECT_EQ(deal.at("expected_close"), "2027-03-01");
  EXPECT_EQ(from_remote(deals, Values{{"dealstage", "custom-stage"}}, {"prospecting", "won"}).at("stage"), "prospecting");
  EXPECT_EQ(to_remote(deals, Values{{"stage", "negotiation"}}).at("dealstage"), "contractsent");

  auto salesforce = parse_mapping(Vendor::salesforce, json::object());
  ASSERT_EQ(salesforce.objects.size(), 3u) << "companies only when the mapping names them";
  EXPECT_EQ(salesforce.objects[0].remote_type, "Lead");
  EXPECT_EQ(salesforce.objects[1].remote_type, "Contact");
  EXPECT_FALSE(salesforce.objects[1].creates) << "people new here go to Salesforce as Leads";
  EXPECT_EQ(salesforce.objects[2].remote_type, "Opportunity");
  auto with_accounts = parse_mapping(Vendor::salesforce, json::parse(R"({"mapping": {"company": {}}})").as_object());
  ASSERT_EQ(with_accounts.objects.size(), 4u);
  EXPECT_EQ(with_accounts.objects[2].remote_type, "Account");

  for (const char* bad : {R"({"mapping": []})", R"({"mapping": {"company": {"fields": []}}})", R"({"mapping": {"account": {}}})",
                          R"({"mapping": {"company": {"fields": [{"local": "email", "remote": "email"}]}}})",
                          R"({"mapping": {"lead": {"fields": [{"local": "email", "remote": "email"}]}}})",
                          R"({"mapping": {"contact": {"fields": [{"local": "salary", "remote": "x"}]}}})",
                          R"({"mapping": {"contact": {"fields": [{"local": "email", "remote": ""}]}}})",
                          R"({"mapping": {"contact": {"fields": [{"local": "email", "remote": "e", "truth": "mine"}]}}})"}) {
    EXPECT_THROW(parse_mapping(Vendor::hubspot, json::parse(bad).as_object()), core::Error) << bad;
  }
}

}  // namespace
}  // namespace de::integrations::crm
