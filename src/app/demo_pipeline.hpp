#pragma once
// The demo sales pipeline (src/app/demo/README.md): deals of Maven Analytics' fictitious CRM data
// set, with their stage histories, dated so that the data set's last day is the day it is loaded.
#include <string_view>
#include <vector>

#include "store/company_repository.hpp"
#include "store/deal_repository.hpp"

namespace de::app {

// The CSV embedded in the binary.
std::string_view demo_pipeline_csv();
// Its deals, dated for loading at `now` (ms since the epoch).
std::vector<store::deals::History> demo_pipeline(std::int64_t now);

// The data set's accounts (the deals' `account`), embedded likewise.
std::string_view demo_accounts_csv();
// Its companies, made at `now`.
std::vector<store::companies::Company> demo_companies(std::int64_t now);

}  // namespace de::app
