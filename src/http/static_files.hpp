#pragma once
#include <string>

#include "http/router.hpp"

namespace de::http {

// Serves the built dashboard from `root`: hashed assets cached for a year, index.html never;
// any other path falls back to index.html so that the client's routes load.
Handler static_files(std::string root);
// Serves one page of the built dashboard (`root`/`file`, never cached), e.g. the API reference.
Handler static_page(std::string root, std::string file);

}  // namespace de::http
