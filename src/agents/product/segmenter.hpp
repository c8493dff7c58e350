#pragma once
// Finds the individual requirements in a plain-text or Markdown document: numbered and bulleted
// list items, lines led by a requirement id ("FR-12:", "3.1.2a"), table rows, and the sentences
// of ordinary paragraphs that state a requirement (shall, must, should, will, is required to ...).
// Headings, code blocks and prose without a requirement verb are not requirements.
#include <string>
#include <string_view>
#include <vector>

namespace de::product {

struct RequirementText {
  std::string id;    // the document's own id, or R1, R2, ... in document order
  std::string text;
};

std::vector<RequirementText> find_requirements(std::string_view document);

}  // namespace de::product
