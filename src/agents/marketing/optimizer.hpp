#pragma once
// The budget optimiser over stored campaigns (docs/marketing.md): a response curve per
// campaign from its daily results, the split of the budget that maximises the expected
// conversions or revenue, and intervals on what it is expected to bring.
#include <boost/json/object.hpp>

#include "store/database.hpp"

namespace de::agents::marketing {

// `input`: {"budget", "items": [campaign ids], "min", "max", "objective": "conversions" |
// "revenue"}; budget, min and max are daily amounts in the campaigns' currency. Without items:
// the active campaigns (of a campaign report given as "report", if one is); without a budget: the
// items' budgets summed. Field names in errors start with `prefix` ("input_data" for a task).
// Answers {"allocations": [{"item", "spend", "share", "expected", "interval", "marginal_return",
// ...}], "expected_total", "interval", ...}.
boost::json::object optimize_budget(store::Database& db, const boost::json::object& input, const std::string& prefix);

}  // namespace de::agents::marketing
