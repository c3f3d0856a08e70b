// The input that all client connections together may hold in memory while
// commands arrive (partial lines, command bodies): each connection has its
// own limits (connection.cpp), and this budget stops many connections from
// adding them up to more than the server should spend.  Loop thread only.
#pragma once

#include <cstddef>

namespace disorder {

class InputBudget {
public:
  explicit InputBudget(std::size_t total) : total_(total) {}

  // Takes n bytes from the budget, or nothing and false if they are not
  // there.
  bool take(std::size_t n) {
    if (n > total_ - used_) return false;
    used_ += n;
    return true;
  }
  void give_back(std::size_t n) { used_ -= n; }
  std::size_t used() const { return used_; }

private:
  std::size_t total_;
  std::size_t used_ = 0;
};

} // namespace disorder
