#include "app/setup.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "app/demo_campaigns.hpp"
#include "app/demo_pipeline.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "model/password.hpp"
#include "store/ai_repository.hpp"
#include "store/audit_repository.hpp"
#include "store/deal_repository.hpp"
#include "store/repositories.hpp"
#include "store/workflow_repository.hpp"
#include "workflow/definition.hpp"

namespace de::app {

namespace fs = std::filesystem;

std::unique_ptr<store::Database> open_database(const core::Config& config, std::size_t read_connections) {
  auto db = store::Database::open(config.database_url, read_connections);
  db->migrate();
  return db;
}

namespace {
// `configured`, or a secret generated once and kept (mode 0600) in the data folder as `file`.
std::string kept_secret(const core::Config& config, const std::string& configured, const char* file) {
  if (!configured.empty()) return configured;
  fs::path path = fs::path(config.data_dir) / file;
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= 32) return secret;
  }
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  std::string secret = auth::random_token(48);
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) throw core::Error(core::ErrorKind::unavailable, "cannot write " + temporary.string());
    out << secret << '\n';
  }
  ::chmod(temporary.c_str(), 0600);
  fs::rename(temporary, path);
  return secret;
}
}  // namespace

std::string jwt_secret(const core::Config& config) { return kept_secret(config, config.jwt_secret, "jwt-secret"); }

std::string master_key(const core::Config& config) { return kept_secret(config, config.master_key, "master-key"); }

AiRuntime start_ai(const core::Config& config, store::Database& db) {
  AiRuntime ai;
  ai.master_key = master_key(config);
  ai.providers = std::make_unique<ai::ProviderRegistry>(config);
  auto stored = db.read([](store::Connection& c) { return store::ai_provider_keys::all(c); });
  for (const auto& [provider, sealed] : stored) {
    if (auto key = auth::unseal(ai.master_key, sealed)) ai.providers->use_stored_key(provider, *key);
    else spdlog::warn(R"("msg":"a stored AI provider key cannot be opened with this master key: set it again","provider":{})",
                      core::quoted(provider));
  }
  ai::PriceTable prices;
  if (!config.ai_prices_file.empty()) prices.load_file(config.ai_prices_file);
  ai.service = std::make_unique<ai::AiService>(ai.providers->providers(), ai::service_options(config), std::move(prices));
  ai.service->on_call([&db](const ai::CallRecord& record) {
    store::ai_calls::Call call;
    call.created_at = core::now_ms();
    call.provider = record.provider.empty() ? "none" : record.provider;
    call.model = record.model;
    auto label = [](const std::string& text) { return text.empty() ? std::nullopt : std::optional(text); };
    call.agent_id = label(record.labels.agent_id);
    call.workflow_id = label(record.labels.workflow_id);
    call.prompt_name = label(record.labels.prompt_name);
    if (record.labels.prompt_version) call.prompt_version = record.labels.prompt_version;
    call.input_tokens = record.usage.input_tokens;
    call.output_tokens = record.usage.output_tokens;
    call.cost_usd = record.cost_usd;
    call.latency_ms = record.latency_ms;
    call.ok = record.ok;
    call.error = label(record.error);
    db.write([call](store::Tx& tx) { store::ai_calls::insert(tx.connection, call); }, nullptr);
  });
  return ai;
}

namespace {
// Which database gets the admin: one without that email (init), or one without any user (serve).
enum class AdminWhen { email_free, no_users };

std::string admin_email(const core::Config& config) {
  auto email = model::lower(config.admin_email);
  if (auto problem = model::email_problem(email); !problem.empty())
    throw core::Error(core::ErrorKind::bad_request, "DE_ADMIN_EMAIL " + problem);
  return email;
}

bool admin_needed(store::Connection& c, const std::string& email, AdminWhen when) {
  return when == AdminWhen::no_users ? store::users::count(c) == 0 : !store::users::find_by_login(c, email);
}

// Key of the lock under which an admin is created: processes starting at once on one PostgreSQL
// check and insert one after the other, so only the first creates it.
constexpr std::int64_t admin_lock = 7400422;

// Creates the admin (DE_ADMIN_EMAIL, `password`) when `when` still holds inside the transaction.
bool create_admin(store::Database& db, const std::string& email, const std::string& password, AdminWhen when) {
  if (auto problem = model::password_problem(password, email); !problem.empty())
    throw core::Error(core::ErrorKind::bad_request, "DE_ADMIN_PASSWORD " + problem);
  model::User admin;
  admin.id = core::new_id();
  admin.email = email;
  admin.password_hash = auth::hash_password(password);
  admin.roles = model::role_bit(model::Role::admin);
  admin.created_at = admin.updated_at = core::now_ms();
  return db.write_sync([&](store::Tx& tx) {
    store::lock_until_commit(tx.connection, admin_lock);
    if (!admin_needed(tx.connection, email, when)) return false;
    admin.username = "admin";
    if (store::users::find_by_login(tx.connection, admin.username)) admin.username = "admin-" + admin.id.substr(0, 8);
    store::users::insert(tx.connection, admin);
    store::audit::append(tx.connection, store::audit::by_system("users.created", "user", admin.id,
                                                                {{"email", admin.email}, {"via", "first admin"}}));
    return true;
  });
}
}  // namespace

std::string ensure_admin(store::Database& db, const core::Config& config) {
  auto email = admin_email(config);
  if (!db.read([&](store::Connection& c) { return admin_needed(c, email, AdminWhen::email_free); })) return "";
  std::string password = config.admin_password;
  std::string generated;
  if (password.empty()) generated = password = auth::random_token(15);
  return create_admin(db, email, password, AdminWhen::email_free) ? generated : "";
}

bool first_admin(store::Database& db, const core::Config& config) {
  auto email = admin_email(config);
  if (!db.read([&](store::Connection& c) { return admin_needed(c, email, AdminWhen::no_users); })) return false;
  if (config.admin_password.empty()) {
    spdlog::warn(R"("msg":"no users yet: set DE_ADMIN_PASSWORD (and DE_ADMIN_EMAIL) for serve to create the first admin, or run init")");
    return false;
  }
  if (!create_admin(db, email, config.admin_password, AdminWhen::no_users)) return false;
  spdlog::info(R"("msg":"first admin created","email":{})", core::quoted(email));
  return true;
}

int load_demo_data(store::Database& db) {
  struct Demo {
    const char* name;
    const char* type;
    const char* description;
    int max_concurrency = 0;  // 0: the hub's default
    const char* config = "{}";  // more settings of its type
  };
  // The echo agent does no work of its own: what bounds it is how many tasks can wait on the
  // group commit of their claim at once, so it gets a wide limit (docs/performance.md).
  static constexpr Demo demo_agents[] = {
      {"Product Manager Agent", "product_manager", "Analyses requirements and keeps stakeholders informed."},
      {"Sales Agent", "sales", "Scores leads and manages the sales pipeline."},
      {"Marketing Agent", "marketing", "Drafts content and optimises campaign budgets."},
      {"Echo Agent", "echo", "Answers every task with its input: for tests and benchmarks.", 256},
      // Works offline (docs/ai.md); a configured model makes it better.
      {"Assistant", "assistant", "Answers a prompt, using the echo agent as a tool: try it with a task.", 0,
       R"({"tools":["echo"],"max_steps":4,"system_prompt":"You are the company's assistant. Use the tools you are given when they help, and answer briefly."})"},
  };
  // Workflows: one that runs on what exists now, and the processes the business agents will
  // run once they have their logic (drafts until then).
  struct DemoWorkflow {
    const char* name;
    const char* status;
    const char* description;
    const char* definition;
  };
  static constexpr DemoWorkflow demo_workflows[] = {
      {"Inbound lead triage", "active",
       "Webhook in, echo the lead, route big deals to the sales agent and tell the team.",
       R"({"trigger":{"type":"webhook","respond_with_output":true},
           "steps":[{"id":"receive","type":"task","task_type":"echo","input":{"company":"{{input.company}}","value":"{{input.value}}"}},
                    {"id":"is_big","type":"condition","depends_on":["receive"],"expression":"steps.receive.output.value >= 10000","then":["alert"],"else":["log"]},
                    {"id":"alert","type":"notify","topic":"workflows.big_lead","payload":{"company":"{{steps.receive.output.company}}","value":"{{steps.receive.output.value}}"}},
                    {"id":"log","type":"notify","topic":"workflows.small_lead","payload":{"company":"{{steps.receive.output.company}}"}}],
           "output":{"company":"{{steps.receive.output.company}}","big":"{{steps.is_big.output.result}}"}})"},
      {"New lead: score, qualify, follow up", "draft",
       "Scores the new lead (sales.score_lead); the outreach draft needs the marketing agent.",
       R"({"trigger":{"type":"event","topic":"leads.created"},
           "steps":[{"id":"score","type":"task","task_type":"sales.score_lead","input":{"lead_id":"{{input.data.id}}"}},
                    {"id":"hot","type":"condition","depends_on":["score"],"expression":"steps.score.output.score >= 70","then":["outreach"],"else":["nurture"]},
                    {"id":"outreach","type":"task","task_type":"marketing.generate_content","input":{"kind":"outreach_email","lead":"{{input.data}}"}},
                    {"id":"approve","type":"approval","depends_on":["outreach"],"role":"manager"},
                    {"id":"nurture","type":"notify","topic":"workflows.lead_nurture","payload":{"lead":"{{input.data.id}}"}}]})"},
      {"Requirements review", "draft",
       "The product manager agent analyses the document, prioritises it and drafts the stakeholders' updates.",
       R"({"trigger":{"type":"manual"},
           "steps":[{"id":"analyze","type":"task","task_type":"product.analyze_requirements","input":{"text":"{{input.document}}"}},
                    {"id":"prioritize","type":"task","task_type":"product.prioritize","depends_on":["analyze"],"input":{"requirements":"{{steps.analyze.output.items}}"}},
                    {"id":"update","type":"task","task_type":"product.stakeholder_update","depends_on":["prioritize"],"input":{"priorities":"{{steps.prioritize.output}}"}}]})"},
      {"Weekly campaign budget", "active",
       "The marketing agent reports on the campaigns and suggests a budget split; a manager signs it off. Mondays 08:00 UTC.",
       R"({"trigger":{"type":"schedule","cron":"0 8 * * 1","timezone":"UTC"},
           "steps":[{"id":"report","type":"task","task_type":"marketing.campaign_report"},
                    {"id":"optimize","type":"task","task_type":"marketing.optimize_budget","depends_on":["report"],"input":{"report":"{{steps.report.output}}"}},
                    {"id":"sign_off","type":"approval","depends_on":["optimize"],"role":"manager"}]})"},
  };
  return db.write_sync([&](store::Tx& tx) {
    int added = 0;
    for (const auto& d : demo_workflows) {
      if (!store::workflows::find_by_name(tx.connection, d.name).empty()) continue;
      model::Workflow w;
      w.id = core::new_id();
      w.name = d.name;
      w.description = d.description;
      w.status = d.status;
      w.definition = boost::json::parse(d.definition);
      workflow::parse_definition(w.definition);  // the demo must pass the checks users get
      if (w.definition.at("trigger").at("type") == "webhook") w.webhook_token = auth::random_token(24);
      w.created_at = w.updated_at = core::now_ms();
      store::workflows::insert(tx.connection, w);
      ++added;
    }
    for (const auto& d : demo_agents) {
      if (store::agents::find_by_name(tx.connection, d.name)) continue;
      model::Agent agent;
      agent.id = core::new_id();
      agent.name = d.name;
      agent.type = d.type;
      agent.capabilities = model::default_capabilities(agent.type);
      agent.config = boost::json::parse(d.config).as_object();
      agent.config["description"] = d.description;
      if (d.max_concurrency) agent.config["max_concurrency"] = d.max_concurrency;
      agent.created_at = agent.updated_at = core::now_ms();
      store::agents::insert(tx.connection, agent);
      tx.emit("agents.created", model::to_json(agent));
      ++added;
    }
    return added;
  });
}

int load_demo_pipeline(store::Database& db) {
  return db.write_sync([](store::Tx& tx) {
    if (store::deals::count(tx.connection) > 0) return 0;
    auto deals = demo_pipeline(core::now_ms());
    store::deals::insert(tx.connection, deals);
    // Each with every stage it entered, so the log can rebuild the table (store/projections.hpp);
    // `deals.imported`, not `deals.created`: history loaded, not deals made now (the
    // stakeholder updates report what was made).
    for (const auto& history : deals) {
      auto data = store::deals::to_json(history.deal);
      boost::json::array changes;
      for (const auto& change : history.changes) changes.push_back(store::deals::to_json(change));
      data["history"] = std::move(changes);
      tx.emit("deals.imported", std::move(data));
    }
    return int(deals.size());
  });
}

int load_demo_companies(store::Database& db) {
  return db.write_sync([](store::Tx& tx) {
    if (!store::companies::list(tx.connection, {}, {std::nullopt, 1}).items.empty()) return 0;
    auto companies = demo_companies(core::now_ms());
    store::companies::insert(tx.connection, companies);
    // `companies.imported` (replayed as the record it carries): loaded, not made now.
    for (const auto& company : companies) tx.emit("companies.imported", store::companies::to_json(company));
    return int(companies.size());
  });
}

int load_demo_campaigns(store::Database& db) {
  return db.write_sync([](store::Tx& tx) {
    if (store::campaigns::count(tx.connection) > 0) return 0;
    auto campaigns = demo_campaigns(core::now_ms());
    for (const auto& d : campaigns) {  // no events: history, not changes made now
      store::campaigns::insert(tx.connection, d.campaign);
      store::campaigns::put_results(tx.connection, d.campaign.id, d.days);
    }
    return int(campaigns.size());
  });
}

}  // namespace de::app
