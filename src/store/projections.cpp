#include "store/projections.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <functional>
#include <map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/json_exact.hpp"
#include "core/money.hpp"
#include "store/company_repository.hpp"
#include "store/deal_repository.hpp"
#include "store/lead_repository.hpp"
#include "store/table_columns.hpp"

namespace de::store::projections {

namespace json = boost::json;

namespace {

// The record an event carries, read field by field; what is missing or of the wrong type is an
// error naming the event (a log that cannot be replayed must not rebuild half a table).
class Fields {
 public:
  Fields(std::int64_t event_id, const json::value& data) : event_id_(event_id) {
    if (!data.is_object()) fail("data", "is not an object");
    data_ = &data.get_object();
  }
  bool has(std::string_view key) const { return data_->contains(key); }
  std::string text(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || !v->is_string()) fail(key, "is not a string");
    return std::string(v->get_string());
  }
  std::optional<std::string> optional_text(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return text(key);
  }
  std::int64_t time(std::string_view key) const {
    auto parsed = core::parse_timestamp(text(key));
    if (!parsed) fail(key, "is not a time stamp");
    return *parsed;
  }
  std::optional<std::int64_t> optional_time(std::string_view key) const {
    if (!optional_text(key)) return std::nullopt;
    return time(key);
  }
  std::int64_t integer(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || !v->is_int64()) fail(key, "is not an integer");
    return v->get_int64();
  }
  std::optional<double> optional_number(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number()) fail(key, "is not a number");
    return v->to_number<double>();
  }
  const json::object& object(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || !v->is_object()) fail(key, "is not an object");
    return v->get_object();
  }
  const json::array& array(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v || !v->is_array()) fail(key, "is not an array");
    return v->get_array();
  }
  const json::value& value(std::string_view key) const {
    const auto* v = data_->if_contains(key);
    if (!v) fail(key, "is missing");
    return *v;
  }
  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw core::Error(core::ErrorKind::internal, "event " + std::to_string(event_id_) + ": its field '" +
                                                     std::string(key) + "' " + std::string(what));
  }
  std::int64_t event_id() const { return event_id_; }

 private:
  std::int64_t event_id_;
  const json::object* data_ = nullptr;
};

// ---- leads ----------------------------------------------------------------------------------

leads::Score read_score(const Fields& f, std::string_view score_key, std::string_view factors_key,
                        std::string_view method_key) {
  leads::Score s;
  s.score = f.integer(score_key);
  s.grade = f.text("grade");
  s.probability = f.optional_number("probability");
  s.factors = f.array(factors_key);
  s.method = f.text(method_key);
  s.model_id = f.optional_text("model_id");
  s.scored_at = f.time("scored_at");
  return s;
}

// `leads.created` and `leads.updated` carry the lead as stored (store::leads::to_json).
leads::Lead read_lead(const Fields& f) {
  leads::Lead l;
  l.id = f.text("id");
  l.external_id = f.optional_text("external_id");
  l.name = f.text("name");
  l.email = f.text("email");
  l.company = f.text("company");
  l.source = f.text("source");
  l.status = f.text("status");
  l.owner = f.text("owner");
  l.attributes = f.object("attributes");
  l.outcome = f.text("outcome");
  l.score = read_score(f, "score", "score_factors", "score_method");
  l.created_at = f.time("created_at");
  l.updated_at = f.time("updated_at");
  return l;
}

void apply_lead_event(Connection& c, std::string_view topic, const Fields& f) {
  if (topic == "leads.created" || topic == "leads.updated") {
    auto lead = read_lead(f);
    leads::find(c, lead.id) ? leads::update(c, lead) : leads::insert(c, lead);
  } else if (topic == "leads.scored") {
    // One lead's new score (leads::scored_event); a bulk scoring's summary has no id.
    if (!f.has("id")) return;
    auto id = f.text("id");
    if (auto lead = leads::find(c, id)) leads::set_score(c, id, lead->updated_at, read_score(f, "score", "factors", "method"));
  } else if (topic == "leads.deleted") {
    leads::remove(c, f.text("id"));
  }
  // leads.imported and leads.model_*: summaries and models, no change of a lead's row.
}

// ---- deals ----------------------------------------------------------------------------------

deals::StageChange read_stage_change(const Fields& change) {
  return {change.optional_text("from_stage"), change.text("to_stage"), change.optional_text("changed_by"),
          change.time("changed_at")};
}

// `deals.created` and `deals.updated` carry the deal as the API shows it (deals::to_json).
deals::Deal read_deal(const Fields& f) {
  deals::Deal d;
  d.id = f.text("id");
  d.name = f.text("name");
  d.account = f.text("account");
  d.owner = f.text("owner");
  d.stage = f.text("stage");
  d.currency = f.text("currency");
  std::string problem;
  auto amount = core::parse_money(f.value("amount"), d.currency, problem);
  if (!amount) f.fail("amount", problem);
  d.amount_minor = *amount;
  d.probability = f.optional_number("probability");
  d.expected_close = f.optional_text("expected_close");
  d.lead_id = f.optional_text("lead_id");
  d.created_by = f.optional_text("created_by");
  d.created_at = f.time("created_at");
  d.updated_at = f.time("updated_at");
  d.stage_changed_at = f.time("stage_changed_at");
  d.closed_at = f.optional_time("closed_at");
  return d;
}

void apply_deal_event(Connection& c, std::string_view topic, const Fields& f) {
  if (topic == "deals.created" || topic == "deals.imported") {
    deals::History history{read_deal(f), {}};
    // A deal begun here or pulled from a CRM starts in its stage; one loaded with its past
    // (`deals.imported`: the demo pipeline) carries every stage it entered.
    if (f.has("history")) {
      for (const auto& change : f.array("history")) history.changes.push_back(read_stage_change(Fields(f.event_id(), change)));
    } else {
      history.changes.push_back({std::nullopt, history.deal.stage, history.deal.created_by, history.deal.created_at});
    }
    deals::insert(c, {history});
  } else if (topic == "deals.updated") {
    deals::update(c, read_deal(f));
  } else if (topic == "deals.stage_changed") {
    deals::add_stage_change(c, f.text("id"), read_stage_change(f));
  } else if (topic == "deals.deleted") {
    deals::remove(c, f.text("id"));
  }
}

// ---- companies ------------------------------------------------------------------------------

// `companies.created` and `companies.updated` carry the company as stored (companies::to_json).
void apply_company_event(Connection& c, std::string_view topic, const Fields& f) {
  if (topic == "companies.deleted") {
    companies::remove(c, f.text("id"));
    return;
  }
  companies::Company company;
  company.id = f.text("id");
  company.name = f.text("name");
  company.domain = f.text("domain");
  company.industry = f.text("industry");
  company.owner = f.text("owner");
  company.attributes = f.object("attributes");
  company.created_at = f.time("created_at");
  company.updated_at = f.time("updated_at");
  companies::find(c, company.id) ? companies::update(c, company) : companies::insert(c, {company});
}

// ---- the projections --------------------------------------------------------------------------

struct Table {
  std::string name;
  std::string key;  // what names a row in a report: a column, or columns joined
  std::string order;
  std::vector<std::string> ignored;  // columns a replay renumbers (a serial id)
};

struct Projection {
  std::string_view name;
  std::string_view topic_prefix;  // "leads." (with the dot)
  std::vector<Table> tables;      // children first (emptied in this order), the main table last
  std::function<void(Connection&, std::string_view, const Fields&)> apply;
};

const std::vector<Projection>& projections() {
  static const std::vector<Projection> all = {
      {"leads", "leads.", {{"leads", "id", "id", {}}}, apply_lead_event},
      {"companies", "companies.", {{"companies", "id", "id", {}}}, apply_company_event},
      {"deals",
       "deals.",
       {{"deal_stage_changes", "deal_id", "deal_id, id", {"id"}}, {"deals", "id", "id", {}}},
       apply_deal_event},
  };
  return all;
}

// A digest of every row of the projection's tables, keyed by table and row: a changed row
// shows as a different digest.
using Snapshot = std::multimap<std::string, std::size_t>;

Snapshot snapshot(Connection& c, const Projection& p) {
  Snapshot rows;
  for (const auto& table : p.tables) {
    std::vector<Column> columns;
    for (auto& column : columns_of(c, table.name))
      if (std::find(table.ignored.begin(), table.ignored.end(), column.name) == table.ignored.end())
        columns.push_back(std::move(column));
    auto result = c.query("SELECT " + table.key + ", " + select_list(columns) + " FROM " + table.name + " ORDER BY " + table.order);
    for (const auto& row : result.rows) {
      std::string text;
      for (std::size_t i = 0; i < columns.size(); ++i)
        text += (row.is_null(i + 1) ? std::string("\x01NULL") : row.text(i + 1)) + '\x1f';
      rows.emplace(table.name + " " + row.text(0), std::hash<std::string>{}(text));
    }
  }
  return rows;
}

// Rows only one side has, and rows that differ (a table's rows of one key in their order).
void compare(const Snapshot& before, const Snapshot& after, Report& report) {
  auto note = [&](const std::string& key, const char* how) {
    ++report.differing;
    if (report.examples.size() < 10) report.examples.push_back(key + ": " + how);
  };
  auto b = before.begin(), a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      note(b->first, "stored, not rebuilt");
      b = before.upper_bound(b->first);
    } else if (b == before.end() || a->first < b->first) {
      note(a->first, "rebuilt, not stored");
      a = after.upper_bound(a->first);
    } else {
      auto [b_end, a_end] = std::pair(before.upper_bound(b->first), after.upper_bound(a->first));
      if (!std::equal(b, b_end, a, a_end)) note(b->first, "differs");
      b = b_end;
      a = a_end;
    }
  }
}

// Thrown to roll back a check's transaction, with its report.
struct CheckOnly {
  Report report;
};

}  // namespace

const std::vector<std::string_view>& names() {
  static const std::vector<std::string_view> all = [] {
    std::vector<std::string_view> out;
    for (const auto& p : projections()) out.push_back(p.name);
    return out;
  }();
  return all;
}

std::string_view source_events_condition() {
  return "topic NOT LIKE 'leads.%' AND topic NOT LIKE 'companies.%' AND topic NOT LIKE 'deals.%'";
}

void check_name(std::string_view name) {
  if (std::ranges::find(names(), name) == names().end())
    throw core::Error(core::ErrorKind::bad_request, "no projection is called '" + std::string(name) + "': there are leads, companies and deals");
}

Report rebuild(Database& db, std::string_view name, bool keep) {
  check_name(name);
  const auto& projection = *std::ranges::find(projections(), name, &Projection::name);
  try {
    return db.write_sync([&](Tx& tx) {
      auto& c = tx.connection;
      Report report;
      report.name = projection.name;
      if (c.dialect() == Dialect::postgres)
        for (const auto& table : projection.tables) c.query("LOCK TABLE " + table.name + " IN EXCLUSIVE MODE");
      auto before = snapshot(c, projection);
      for (const auto& table : projection.tables) c.query("DELETE FROM " + table.name);
      // Page by page, oldest first; an event may share the data of an earlier one (data_from).
      auto pattern = std::string(projection.topic_prefix) + "%";
      for (std::int64_t after = 0;;) {
        auto page = c.query(
            "SELECT e.id, e.topic, CASE WHEN e.data_from IS NULL THEN e.data ELSE d.data END FROM events e "
            "LEFT JOIN events d ON d.id = e.data_from WHERE e.id > ? AND e.topic LIKE ? ORDER BY e.id LIMIT 1000",
            {after, std::string_view(pattern)});
        for (const auto& row : page.rows) {
          after = row.integer(0);
          auto data = core::parse_exact(row.text(2)).value_or(nullptr);
          projection.apply(c, row.text(1), Fields(after, data));
          ++report.events;
        }
        if (page.rows.size() < 1000) break;
      }
      auto rebuilt = snapshot(c, projection);
      auto main_table = projection.tables.back().name + " ";
      report.rows = std::count_if(rebuilt.begin(), rebuilt.end(), [&](const auto& r) { return r.first.starts_with(main_table); });
      compare(before, rebuilt, report);
      if (!keep) throw CheckOnly{std::move(report)};
      return report;
    });
  } catch (CheckOnly& check) {
    return std::move(check.report);
  }
}

}  // namespace de::store::projections
