// The page's files: index.html at "/" and everything under web_static at
// "/static/...", with types by extension and revalidation by ETag.  Only
// regular files inside the directory are served.
#pragma once

#include "web/http_server.hpp"

#include <string>

namespace disorder::web {

class StaticFiles {
public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  // Answers GET/HEAD of `relative` (the part after /static/, or
  // "index.html"); 404 for anything that is not a file of the page.
  void serve(HttpRequest& req, const std::string& relative) const;

private:
  std::string root_;
};

} // namespace disorder::web
