// Back-off and de-duplication for an output that cannot be opened.
#include "output_retry.hpp"

#include <algorithm>

namespace disorder {

namespace {

std::string seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

} // namespace

bool OutputRetry::failed(const std::string& why) {
  const bool news = !failing_ || why != last_;
  delay_ = !failing_ ? first_ : std::min(delay_ * 2, longest_);
  failing_ = true;
  last_ = why;
  return news;
}

bool OutputRetry::succeeded() {
  const bool was = failing_;
  failing_ = false;
  delay_ = std::chrono::milliseconds(0);
  last_.clear();
  return was;
}

std::string OutputRetry::describe() const {
  if (first_ >= longest_) return "retrying every " + seconds(longest_);
  return "retrying after " + seconds(first_) + ", then less and less often, up to every " +
         seconds(longest_);
}

bool RepeatFilter::first_time(const std::string& message) {
  if (std::find(seen_.begin(), seen_.end(), message) != seen_.end()) return false;
  if (capacity_ == 0) return true;
  if (seen_.size() == capacity_) seen_.pop_front();
  seen_.push_back(message);
  return true;
}

} // namespace disorder
