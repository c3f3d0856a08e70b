// The state CLI handlers share: the lazily made connection and the usual
// ways of printing a reply.
#include "cli.hpp"

namespace disorder::cli {

Client& Context::client() {
  if (!client_) client_.emplace(Client::connect(config_, trace_));
  return *client_;
}

Reply Context::run(const std::vector<std::string>& fields) {
  return client().command(fields);
}

void Context::print_value(const std::vector<std::string>& fields) {
  out_ << run(fields).value() << '\n';
}

void Context::print_body(const std::vector<std::string>& fields) {
  for (const auto& line : run(fields).body)
    out_ << line << '\n';
}

std::vector<std::string> fields(std::string_view name, Args args) {
  std::vector<std::string> f{std::string(name)};
  f.insert(f.end(), args.begin(), args.end());
  return f;
}

} // namespace disorder::cli
