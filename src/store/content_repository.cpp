#include "store/content_repository.hpp"

#include "core/json.hpp"

namespace de::store {

namespace json = boost::json;
using core::parse_stored;
using core::to_text;

namespace content {
namespace {
constexpr const char* content_columns =
    "SELECT id, kind, network, brief, recipient, seed, passed, task_id, created_by, created_at FROM content";
constexpr const char* variant_columns =
    "SELECT content_id, variant, fields, checks, passed, attempts, provider, model, prompt_name, prompt_version, sends, "
    "opens, clicks, conversions FROM content_variants";

json::object object_of(std::string_view text) {
  auto v = parse_stored(text);
  return v.is_object() ? std::move(v.get_object()) : json::object();
}

Content content_from(const Row& r) {
  Content c;
  c.id = r.text(0);
  c.kind = r.text(1);
  c.network = r.optional_text(2);
  c.brief = object_of(r.text(3));
  if (!r.is_null(4)) c.recipient = object_of(r.text(4));
  c.seed = r.integer(5);
  c.passed = r.boolean(6);
  c.task_id = r.optional_text(7);
  c.created_by = r.optional_text(8);
  c.created_at = r.integer(9);
  return c;
}

Variant variant_from(const Row& r) {
  Variant v;
  v.index = r.integer(1);
  v.fields = object_of(r.text(2));
  auto checks = parse_stored(r.text(3), json::array());
  if (checks.is_array()) v.checks = std::move(checks.get_array());
  v.passed = r.boolean(4);
  v.attempts = r.integer(5);
  v.provider = r.text(6);
  v.model = r.text(7);
  v.prompt_name = r.text(8);
  v.prompt_version = r.integer(9);
  v.sends = r.integer(10);
  v.opens = r.integer(11);
  v.clicks = r.integer(12);
  v.conversions = r.integer(13);
  return v;
}

void attach_variants(Connection& c, std::vector<Content>& items) {
  for (auto& item : items)
    for (const auto& row : c.query(std::string(variant_columns) + " WHERE content_id = ? ORDER BY variant", {std::string_view(item.id)}).rows)
      item.variants.push_back(variant_from(row));
}
}  // namespace

void insert(Connection& c, const Content& content) {
  auto brief = to_text(content.brief);
  std::optional<std::string> recipient;
  if (content.recipient) recipient = to_text(*content.recipient);
  c.query("INSERT INTO content (id, kind, network, brief, recipient, seed, passed, task_id, created_by, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(content.id), std::string_view(content.kind), nullable(content.network), std::string_view(brief),
           nullable(recipient), content.seed, std::int64_t(content.passed), nullable(content.task_id),
           nullable(content.created_by), content.created_at});
  for (const auto& v : content.variants) {
    auto fields = to_text(v.fields), checks = to_text(v.checks);
    c.query("INSERT INTO content_variants (content_id, variant, fields, checks, passed, attempts, provider, model, "
            "prompt_name, prompt_version, sends, opens, clicks, conversions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {std::string_view(content.id), v.index, std::string_view(fields), std::string_view(checks),
             std::int64_t(v.passed), v.attempts, std::string_view(v.provider), std::string_view(v.model),
             std::string_view(v.prompt_name), v.prompt_version, v.sends, v.opens, v.clicks, v.conversions});
  }
}

std::optional<Content> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(content_columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  std::vector<Content> items{content_from(r.rows[0])};
  attach_variants(c, items);
  return std::move(items[0]);
}

Page<Content> list(Connection& c, const PageRequest& page) {
  std::string sql = content_columns;
  std::vector<Param> params;
  if (page.cursor) {
    sql += " WHERE id < ?";
    params.emplace_back(std::string_view(*page.cursor));
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto out = to_page<Content>(c.query(sql, std::span<const Param>(params)), page, content_from);
  attach_variants(c, out.items);
  return out;
}

bool add_results(Connection& c, const std::string& id, std::int64_t variant, std::int64_t sends, std::int64_t opens,
                 std::int64_t clicks, std::int64_t conversions) {
  return c.query("UPDATE content_variants SET sends = sends + ?, opens = opens + ?, clicks = clicks + ?, "
                 "conversions = conversions + ? WHERE content_id = ? AND variant = ?",
                 {sends, opens, clicks, conversions, std::string_view(id), variant})
             .affected == 1;
}

json::object to_json(const Content& content) {
  json::array variants;
  for (const auto& v : content.variants) {
    json::object o = v.fields;
    o["variant"] = v.index;
    o["checks"] = v.checks;
    o["passed"] = v.passed;
    o["attempts"] = v.attempts;
    o["provider"] = v.provider;
    o["model"] = v.model;
    o["prompt"] = json::object{{"name", v.prompt_name}, {"version", v.prompt_version}};
    o["results"] = json::object{{"sends", v.sends}, {"opens", v.opens}, {"clicks", v.clicks}, {"conversions", v.conversions}};
    variants.push_back(std::move(o));
  }
  return {{"id", content.id},
          {"kind", content.kind},
          {"network", content.network ? json::value(*content.network) : json::value(nullptr)},
          {"brief", content.brief},
          {"recipient", content.recipient ? json::value(*content.recipient) : json::value(nullptr)},
          {"seed", content.seed},
          {"passed", content.passed},
          {"task_id", content.task_id ? json::value(*content.task_id) : json::value(nullptr)},
          {"created_by", content.created_by ? json::value(*content.created_by) : json::value(nullptr)},
          {"created_at", content.created_at},
          {"variants", std::move(variants)}};
}
}  // namespace content

namespace brand_voice {
std::optional<json::object> find(Connection& c) {
  auto r = c.query("SELECT settings FROM brand_voice WHERE id = 1");
  if (r.rows.empty()) return std::nullopt;
  auto v = parse_stored(r.rows[0].text(0));
  return v.is_object() ? std::optional(std::move(v.get_object())) : std::nullopt;
}

void save(Connection& c, const json::object& settings, const std::optional<std::string>& by, std::int64_t now) {
  auto text = to_text(settings);
  c.query("INSERT INTO brand_voice (id, settings, updated_by, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
          "SET settings = excluded.settings, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
          {std::string_view(text), nullable(by), now});
}
}  // namespace brand_voice

}  // namespace de::store
