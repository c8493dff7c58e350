#pragma once
// The ContentGenerator (docs/marketing.md): reads a content request, has each variant written
// through the AI services layer from the stored prompt template `marketing.content` (a model
// when one is configured, else the offline copywriter behind the offline provider), checks
// it, writes it once more when a hard check failed, and keeps the piece with its variants,
// their checks, prompt version and model (event `content.created`).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <string>

#include "agents/marketing/content.hpp"
#include "ai/service.hpp"
#include "store/content_repository.hpp"
#include "store/database.hpp"

namespace de::agents::marketing {

inline constexpr std::string_view prompt_name = "marketing.content";
inline constexpr int most_variants = 5;

// A request's fields (POST /api/v1/content, or a task's input_data with `prefix`
// "input_data"), the recipient looked up from lead_id or deal_id. Throws a validation error
// naming every bad field; campaign_id is refused until campaigns exist.
ContentSpec read_content_request(const boost::json::object& body, store::Connection& c, const std::string& prefix = "");

// The brand voice as stored (the defaults until one is saved).
BrandVoice load_brand_voice(store::Connection& c);
// A PUT body's brand voice; a validation error naming every bad field.
BrandVoice read_brand_voice(const boost::json::object& body);

// Lets the offline provider answer content requests with the offline copywriter. Call once
// at start-up.
void register_offline_copywriter();

struct GenerationContext {
  store::Database& db;
  ai::AiService& ai;
  std::optional<std::string> created_by, task_id, agent_id;
};

GenerationContext generation_context(store::Database& db, ai::AiService& ai, std::optional<std::string> created_by,
                                     std::optional<std::string> task_id = std::nullopt,
                                     std::optional<std::string> agent_id = std::nullopt);

// Writes, checks and stores the piece. A plain function (the coroutine gets its own copies):
// GCC 12 mishandles a coroutine's by-value arguments inside a co_await expression.
boost::asio::awaitable<store::content::Content> generate_content(const GenerationContext& context, const ContentSpec& spec);

}  // namespace de::agents::marketing
