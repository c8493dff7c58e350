#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace de::http {

namespace {
namespace fs = std::filesystem;

std::string_view mime_type(const fs::path& path) {
  auto ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}
}  // namespace

Handler static_page(std::string root, std::string file) {
  return [path = fs::path(root) / file](Request&) -> boost::asio::awaitable<Response> {
    auto content = read_file(path);
    if (!content)
      co_return Response::problem(core::Error(core::ErrorKind::not_found,
                                              "the dashboard is not built (no " + path.string() + "); run script/build"));
    Response r;
    r.content_type = std::string(mime_type(path));
    r.body = std::move(*content);
    r.set_header("Cache-Control", "no-cache");
    co_return r;
  };
}

Handler static_files(std::string root) {
  return [root = fs::path(root)](Request& request) -> boost::asio::awaitable<Response> {
    fs::path relative = fs::path(request.path).relative_path().lexically_normal();
    bool safe = !relative.empty() && *relative.begin() != "..";
    fs::path file = safe ? root / relative : fs::path();
    std::error_code ec;
    bool is_asset = safe && fs::is_regular_file(file, ec);
    if (!is_asset) file = root / "index.html";
    auto content = read_file(file);
    if (!content)
      co_return Response::problem(core::Error(
          core::ErrorKind::not_found,
          "the dashboard is not built (no " + file.string() + "); run script/build"));
    Response r;
    r.content_type = std::string(mime_type(file));
    r.body = std::move(*content);
    bool hashed = is_asset && relative.string().starts_with("assets/");
    r.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    co_return r;
  };
}

}  // namespace de::http
