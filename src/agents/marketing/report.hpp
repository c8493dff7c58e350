#pragma once
// The campaign report (docs/marketing.md): each campaign's numbers over the last days against
// the days before, and what changed, computed from the daily results.
#include <boost/json/object.hpp>

#include "store/database.hpp"

namespace de::agents::marketing {

struct ReportOptions {
  std::int64_t days = 7;  // the period: the last `days` days with results, against the `days` before
  std::optional<std::vector<std::string>> campaign_ids;  // none: every campaign
};

// {"days", "campaign_ids"}; errors name fields after `prefix`.
ReportOptions read_report_options(const boost::json::object& input, const std::string& prefix);

// {"period", "previous_period", "currency", "totals", "campaigns", "changes", "summary"}; an
// unknown campaign id is a validation error naming input_data.campaign_ids[i] (a task's input).
// "changes" are sentences about the largest movements, "summary" the report in words. Every
// number in them is computed from the stored results.
boost::json::object campaign_report(store::Database& db, const ReportOptions& options);

}  // namespace de::agents::marketing
