// Serving the page's files (static_files.hpp).
#include "web/static_files.hpp"

#include "fd.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace disorder::web {

namespace {

constexpr size_t kMaxFile = 4 * 1024 * 1024;

std::string_view type_of(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> types{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : types)
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return type;
  return {};
}

// Every component a plain name: no "", ".", ".." or hidden files.
bool safe_path(std::string_view p) {
  if (p.empty() || p.size() > 256) return false;
  while (!p.empty()) {
    const size_t slash = p.find('/');
    std::string_view c = p.substr(0, slash);
    if (c.empty() || c.front() == '.') return false;
    for (char ch : c)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == '\\') return false;
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return true;
}

} // namespace

void StaticFiles::serve(HttpRequest& req, const std::string& relative) const {
  const std::string_view type = type_of(relative);
  if (!safe_path(relative) || type.empty()) {
    req.reply(404, "text/plain; charset=utf-8", "not found\n");
    return;
  }
  Fd fd(::open((root_ + "/" + relative).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) ||
      static_cast<size_t>(st.st_size) > kMaxFile) {
    req.reply(404, "text/plain; charset=utf-8", "not found\n");
    return;
  }
  const std::string etag = "\"" + std::to_string(st.st_mtim.tv_sec) + "." +
                           std::to_string(st.st_mtim.tv_nsec) + "-" + std::to_string(st.st_size) +
                           "\"";
  req.add_header("ETag", etag);
  // The page itself is checked at every load; its scripts, styles and
  // images are used for a minute without asking (a warm load then costs no
  // request for them), and checked by ETag after that.
  req.add_header("Cache-Control", relative == "index.html" ? "no-cache" : "max-age=60");
  if (req.header("If-None-Match") == etag) {
    req.reply(304, "", "");
    return;
  }
  std::string body(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < body.size()) {
    ssize_t n = ::read(fd.get(), body.data() + got, body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  body.resize(got);
  req.reply(200, type, body);
}

} // namespace disorder::web
