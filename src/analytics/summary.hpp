#pragma once
#include <boost/json/object.hpp>

#include "store/sql.hpp"

namespace de::analytics {

// KPIs of GET /api/v1/analytics/summary. Business figures stay null until their agents exist;
// the API adds the pipeline's from the sales forecast (agents/sales/forecast.hpp).
boost::json::object summary(store::Connection& c);

}  // namespace de::analytics
