#pragma once
// The score before any model exists: fit and engagement points from the lead's own fields,
// each point explained. It says what it is (method "rules", no probability) and makes up
// nothing: a lead without the fields gets no points for them.
#include <boost/json/object.hpp>

#include <string_view>

#include "agents/sales/lead_model.hpp"

namespace de::agents::sales {

// The fields the rules read; the top-level ones fall back to attributes of the same name
// (case-insensitive), so a batch of bare attributes is scored the same way.
struct LeadFields {
  std::string_view email, company, source, status, owner, name;
  const boost::json::object* attributes = nullptr;
};

// Points add up to the score (0-100); each factor's contribution is its points. Grades: A from
// 70, B from 50, C from 30; "converted" predicted from 50.
Prediction rule_score(const LeadFields& lead);

}  // namespace de::agents::sales
