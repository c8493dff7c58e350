#pragma once
// The demo campaigns (src/app/demo/README.md): Facebook ad campaigns and Olist's lead origins
// with their daily results, dated so that the data's last day is the day before loading.
#include <string_view>
#include <vector>

#include "store/campaign_repository.hpp"

namespace de::app {

// The CSV embedded in the binary.
std::string_view demo_campaigns_csv();

struct DemoCampaign {
  store::campaigns::Campaign campaign;
  std::vector<store::campaigns::DayResult> days;
};
// Its campaigns, dated for loading at `now` (ms since the epoch).
std::vector<DemoCampaign> demo_campaigns(std::int64_t now);

}  // namespace de::app
