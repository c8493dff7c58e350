#pragma once
// The domain tables that are projections of the event log (docs/integrations.md, "Event
// sourcing"): every change of a lead, a company or a deal, ours or a CRM's, is an event carrying the
// record as it became, so the tables can be rebuilt by replaying the log.
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace de::store::projections {

// "leads", "companies" and "deals" (with each deal's stage history).
const std::vector<std::string_view>& names();
// Throws bad_request, naming the projections there are, unless `name` is one.
void check_name(std::string_view name);

// The events retention keeps whatever their age: what the projections are built from
// (an SQL condition on the events table's `topic`).
std::string_view source_events_condition();

struct Report {
  std::string name;
  std::int64_t events = 0;  // replayed
  std::int64_t rows = 0;    // in the rebuilt tables
  std::int64_t differing = 0;  // rows added, removed or changed against what was stored
  std::vector<std::string> examples;  // the first few of them, "table id: how"
};

// Replays the projection's events, oldest first, into its emptied tables in one transaction and
// compares the result with what was stored. `keep` false rolls it back (a check); true commits
// it. On PostgreSQL the tables are locked against writers meanwhile. Throws as check_name.
Report rebuild(Database& db, std::string_view name, bool keep);

}  // namespace de::store::projections
