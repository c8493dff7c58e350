#pragma once
// Marketing content (docs/marketing.md): each generated piece with its variants (fields, check
// report, prompt version, model, A/B results), and the brand voice, one row.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/repositories.hpp"

namespace de::store {

namespace content {
struct Variant {
  std::int64_t index = 0;
  boost::json::object fields;  // "body" and the kind's own fields
  boost::json::array checks;   // [{"name","passed","severity","detail"}]
  bool passed = false;
  std::int64_t attempts = 1;   // 2 when rewritten after a failed hard check
  std::string provider, model, prompt_name;
  std::int64_t prompt_version = 0;
  std::int64_t sends = 0, opens = 0, clicks = 0, conversions = 0;
};

struct Content {
  std::string id, kind;
  std::optional<std::string> network;
  boost::json::object brief;
  std::optional<boost::json::object> recipient;  // {"source","id","name","company","facts"}
  std::int64_t seed = 1;
  bool passed = false;  // every variant passed its hard checks
  std::optional<std::string> task_id, created_by;
  std::int64_t created_at = 0;
  std::vector<Variant> variants;
};

void insert(Connection& c, const Content& content);
std::optional<Content> find(Connection& c, const std::string& id);
// Newest first, with their variants.
Page<Content> list(Connection& c, const PageRequest& page);
// Adds to a variant's counts; false when the variant does not exist.
bool add_results(Connection& c, const std::string& id, std::int64_t variant, std::int64_t sends, std::int64_t opens,
                 std::int64_t clicks, std::int64_t conversions);
boost::json::object to_json(const Content& content);
}  // namespace content

namespace brand_voice {
// The stored settings, none until first saved.
std::optional<boost::json::object> find(Connection& c);
void save(Connection& c, const boost::json::object& settings, const std::optional<std::string>& by, std::int64_t now);
}  // namespace brand_voice

}  // namespace de::store
