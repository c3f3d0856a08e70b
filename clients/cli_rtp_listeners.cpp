// disorder rtp-listeners: the RTP listeners' latest reports
// (disorder_protocol(5), rtp-listeners) as a table with a column per
// figure, or one JSON object a listener.  Keys the table does not know are
// left out of it (and kept in the JSON); a figure a listener did not
// report shows as "-".
#include "cli.hpp"

#include "error.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

namespace disorder::cli {

namespace {

struct Column {
  const char* key;
  const char* heading;
};

constexpr std::array kColumns{
    Column{"address", "ADDRESS"},
    Column{"cname", "CNAME"},
    Column{"synchronised", "SYNC"},
    Column{"error", "ERROR ms"},
    Column{"uncertainty", "+/- ms"},
    Column{"drift", "DRIFT ppm"},
    Column{"latency", "LATENCY ms"},
    Column{"buffer", "BUFFER ms"},
    Column{"output-delay", "OUTPUT ms"},
    Column{"loss", "LOSS %"},
    Column{"jitter", "JITTER ms"},
    Column{"concealed", "CONCEALED"},
    Column{"age", "AGE s"},
};

} // namespace

void print_rtp_listeners(Context& c) {
  std::vector<std::vector<std::pair<std::string, std::string>>> listeners;
  for (const std::string& line : c.run({"rtp-listeners"}).body) {
    std::vector<std::string> f = reply_fields(line);
    if (f.size() < 2 || f.size() % 2 != 0)
      throw ProtocolError("malformed listener from server: " + line);
    std::vector<std::pair<std::string, std::string>> l{{"address", f[0]}, {"cname", f[1]}};
    for (std::size_t i = 2; i < f.size(); i += 2)
      l.emplace_back(f[i], f[i + 1]);
    listeners.push_back(std::move(l));
  }
  if (c.json()) {
    for (const auto& l : listeners) {
      std::string out = "{";
      for (std::size_t i = 0; i < l.size(); ++i)
        out += (i ? ", " : "") + json_string(l[i].first) + ": " + json_string(l[i].second);
      c.out() << out << "}\n";
    }
    return;
  }
  if (listeners.empty()) {
    if (c.format() == Format::disorder) c.out() << "No RTP listener has reported.\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> headings;
  for (const Column& column : kColumns)
    headings.push_back(column.heading);
  rows.push_back(headings);
  for (const auto& l : listeners) {
    std::vector<std::string> row;
    for (const Column& column : kColumns) {
      auto it =
          std::find_if(l.begin(), l.end(), [&](const auto& kv) { return kv.first == column.key; });
      row.push_back(it == l.end() || it->second.empty() ? "-" : it->second);
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> widths(kColumns.size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  for (const auto& row : rows) {
    std::string out;
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Text columns (address, CNAME, sync) to the left, figures to the right.
      const std::string pad(widths[i] - row[i].size(), ' ');
      if (i) out += "  ";
      out += i < 3 ? row[i] + (i + 1 < row.size() ? pad : "") : pad + row[i];
    }
    c.out() << out << '\n';
  }
}

} // namespace disorder::cli
