#pragma once
// The built-in offline provider (docs/ai.md): deterministic, rule- and template-based, no
// network, always configured. Every answer is computed from the conversation by the rules
// below, so the same request always gets the same answer; it understands nothing, and its
// answers never claim more than those rules did:
// - a plain chat gets the sentences of the last user message that carry its most frequent
//   words (Luhn's word-frequency ranking), in their original order, bounded by max_tokens;
// - with tools offered, the tool whose name and description share the most words with the
//   last user message is called, if its required arguments can be filled from that message (a
//   JSON object, `key: value` or `key=value` lines, or the whole text for a single required
//   string); otherwise the answer is as for a plain chat;
// - after tool results, the answer renders them: each tool's name and its result's fields as
//   `key: value` lines;
// - with a JSON Schema, the answer is a value built for it from the conversation (the rules
//   are on StructuredAnswer in offline.cpp and in docs/ai.md), or the value of the offline
//   writer registered for the schema's title (add_offline_writer).
// Token counts are estimates (about four characters per token): there is no tokenizer here.
#include <functional>

#include "ai/chat.hpp"

namespace de::ai {

// A feature's own offline skill: for a request whose JSON Schema has `"title": title`, the
// offline provider answers `write(request)` (a value for that schema) instead of its generic
// structured answer. Registered at start-up, before the first call (the marketing
// copywriter, docs/marketing.md); registering a title again replaces its writer.
using OfflineWriter = std::function<boost::json::value(const ChatRequest&)>;
void add_offline_writer(const std::string& title, OfflineWriter write);

class OfflineProvider final : public Provider {
 public:
  std::string_view name() const override { return "offline"; }
  bool configured() const override { return true; }
  std::string default_model() const override { return "offline-1"; }
  // Given on_token, the answer's text is streamed word by word before it returns.
  boost::asio::awaitable<ChatResponse> chat(const ChatRequest& request) override;
};

}  // namespace de::ai
