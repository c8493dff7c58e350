#pragma once
// The StakeholderManager's rules (docs/product.md, "Stakeholders"): the power/interest grid
// (Mendelow's) and the update drafted for one stakeholder from the platform's recent events, in
// the tone their quadrant needs. Pure: the caller reads the events and stores the draft.
#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

// Influence and interest are 1 (none) to 5 (decisive); 3 and above is high.
inline constexpr int lowest_rating = 1, highest_rating = 5, high_rating = 3;
inline constexpr std::array<std::string_view, 4> quadrants = {"manage_closely", "keep_satisfied", "keep_informed", "monitor"};
inline constexpr std::array<std::string_view, 6> channels = {"email", "slack", "teams", "phone", "meeting", "report"};

// high influence and interest: manage closely; high influence only: keep satisfied; high
// interest only: keep informed; neither: monitor.
std::string_view quadrant_of(int influence, int interest);

// One thing that happened, read from an event: what it is about and a line that says it.
struct Change {
  std::int64_t event_id = 0;  // 0 for a change that is no stored event
  std::int64_t at = 0;        // ms since the epoch
  std::string area;           // requirements, deals, campaigns
  std::string line;           // "Deal 'Acme renewal' moved from proposal to won"
  std::optional<std::string> attention;  // why it needs a decision, when it does
};

// The change an event stands for: requirements.*, deals.created|stage_changed|deleted and
// campaigns.*; nullopt for other topics.
std::optional<Change> change_of(std::int64_t event_id, std::string_view topic, const boost::json::object& data,
                                std::int64_t at);

struct StakeholderProfile {
  std::string name, role, channel;
  int influence = 1, interest = 1;
  std::vector<std::string> topics;  // empty: every change concerns them
};

struct Draft {
  std::string quadrant, subject, body;
  std::vector<std::int64_t> event_ids;  // the events it reports
  std::vector<std::string> facts;       // the lines it is made of (for a model to rephrase)
};

// The changes that concern `who`: all when they name no topic, else those whose line or area
// names one of their topics (case-insensitive).
std::vector<Change> relevant_changes(const StakeholderProfile& who, const std::vector<Change>& changes);

// The update for `who` from `changes` (already the relevant ones, oldest first), nullopt when
// there are none. manage_closely: every change and the decisions needed; keep_satisfied: the
// counts and the points needing attention only; keep_informed: every change, for information;
// monitor: the counts per area.
std::optional<Draft> compose_update(const StakeholderProfile& who, const std::vector<Change>& changes,
                                    std::int64_t since);

// What a model is told about the tone each quadrant needs.
std::string_view tone_of(std::string_view quadrant);

}  // namespace de::product
