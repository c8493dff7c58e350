#pragma once
#include <string>

namespace de::core {

// Logs go to stderr, one JSON object per line (spdlog underneath).
void init_logging(const std::string& level);

}  // namespace de::core
