// The requirement analyser's speed (docs/performance.md): a Markdown document of N numbered
// requirements (real texts: PROMISE NFR's 625 and the ERTMS FRS's 199 from the unit-test sample,
// cycled), analysed end to end as the route does it: split, classify, ambiguities, stories,
// duplicates and conflicts, JSON text; then the prioritisation rules on the analysed items (RICE
// and MoSCoW with their reasoning, JSON text), as POST /requirements/prioritize adds them. Usage: de-requirements-bench <source dir> [N=1000] [runs=5]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agents/product/analyzer.hpp"
#include "agents/product/priority.hpp"
#include "agents/product/text.hpp"
#include "core/json.hpp"

using namespace de::product;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: de-requirements-bench <source dir> [requirements=1000] [runs=5]\n";
    return 2;
  }
  const std::size_t n = argc > 2 ? std::stoul(argv[2]) : 1000, runs = argc > 3 ? std::stoul(argv[3]) : 5;
  std::vector<std::string> texts;
  for (const auto& row : parse_labelled_csv(promise_training_csv())) texts.push_back(row.text);
  std::ifstream sample(std::string(argv[1]) + "/tests/unit/data/ertms_frs_reqs.csv");
  std::stringstream s;
  s << sample.rdbuf();
  auto records = csv_records(s.str());
  for (std::size_t i = 1; i < records.size(); ++i) texts.push_back(records[i][1]);

  std::string document = "# Benchmark specification\n\n";
  for (std::size_t i = 0; i < n; ++i) document += std::to_string(i + 1) + ". " + texts[i % texts.size()] + "\n";

  auto start = Clock::now();
  const auto& analyzer = RequirementAnalyzer::shared();
  const double training_ms = ms_since(start);

  std::vector<double> times, priority_times;
  std::size_t found = 0, bytes = 0;
  for (std::size_t run = 0; run < runs; ++run) {
    start = Clock::now();
    auto items = analyzer.analyze(find_requirements(document));
    auto text = de::core::to_text(analysis_json(items));
    times.push_back(ms_since(start));
    found = items.size();
    bytes = text.size();
    start = Clock::now();
    auto prioritized = de::core::to_text(prioritized_json(items, prioritize(items)));
    priority_times.push_back(ms_since(start));
  }
  std::sort(times.begin(), times.end());
  std::sort(priority_times.begin(), priority_times.end());
  std::cout << "requirements " << found << " (document " << document.size() << " bytes, answer " << bytes
            << " bytes)\ntraining at start-up " << training_ms << " ms\nanalysis median " << times[times.size() / 2]
            << " ms, best " << times.front() << " ms, worst " << times.back() << " ms over " << runs << " runs\n"
            << "prioritisation median " << priority_times[priority_times.size() / 2] << " ms, worst "
            << priority_times.back() << " ms\n";
}
