#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <pthread.h>

namespace de::core {

void init_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("de");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace de::core
