// The latest report of each RTP listener.
#include "rtp_listener_reports.hpp"

#include <algorithm>
#include <tuple>

namespace disorder {

bool RtpListenerReports::update(std::span<const std::string> fields, Clock::time_point now) {
  if (fields.size() < 2 || fields.size() % 2 != 0 || fields.size() > 2 + 2 * kMaxPairs)
    return false;
  for (const std::string& f : fields)
    if (f.size() > kMaxFieldBytes) return false;
  forget_silent(now);
  auto it = std::find_if(reports_.begin(), reports_.end(), [&](const Report& r) {
    return r.address == fields[0] && r.cname == fields[1];
  });
  if (it == reports_.end()) {
    if (reports_.size() == kMaxListeners)
      reports_.erase(
          std::min_element(reports_.begin(), reports_.end(),
                           [](const Report& a, const Report& b) { return a.when < b.when; }));
    reports_.push_back(Report{fields[0], fields[1], {}, now});
    it = reports_.end() - 1;
  }
  it->when = now;
  it->figures.clear();
  for (std::size_t i = 2; i < fields.size(); i += 2)
    it->figures.emplace_back(fields[i], fields[i + 1]);
  return true;
}

void RtpListenerReports::forget_silent(Clock::time_point now) {
  std::erase_if(reports_, [&](const Report& r) { return now - r.when >= kForgetAfter; });
}

std::vector<std::vector<std::string>> RtpListenerReports::list(Clock::time_point now) {
  forget_silent(now);
  std::sort(reports_.begin(), reports_.end(), [](const Report& a, const Report& b) {
    return std::tie(a.address, a.cname) < std::tie(b.address, b.cname);
  });
  std::vector<std::vector<std::string>> lines;
  for (const Report& r : reports_) {
    std::vector<std::string> line{r.address, r.cname};
    for (const auto& [key, value] : r.figures) {
      line.push_back(key);
      line.push_back(value);
    }
    line.push_back("age");
    line.push_back(
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - r.when).count()));
    lines.push_back(std::move(line));
  }
  return lines;
}

} // namespace disorder
