#pragma once
// Near-duplicate and conflicting pairs among a document's requirements.
#include <string_view>
#include <vector>

#include "agents/product/story.hpp"

namespace de::product {

struct RelationInput {
  std::string_view text;
  const RequirementParts* parts;
};

struct Relations {
  std::vector<std::vector<std::size_t>> duplicates;  // per requirement, the indices of its near-duplicates
  std::vector<std::vector<std::size_t>> conflicts;   // per requirement, the indices it contradicts
};

// Near-duplicates share most content words (Jaccard >= 0.8 over stems, figures left out); a
// conflict is a pair with the same subject and at least half its content words in common, whose
// figures differ for the same unit or whose modality contradicts (shall vs shall not, must vs may).
Relations find_relations(const std::vector<RelationInput>& requirements);

}  // namespace de::product
