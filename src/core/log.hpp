#pragma once
#include <string>

namespace de::core {

// Logs go to stderr, one JSON object per line (spdlog underneath).
void init_logging(const std::string& level);

// Names the calling thread as `top -H`, perf and gdb show it (15 characters at most).
void name_this_thread(const char* name);

}  // namespace de::core
