// The PI loop with a locked (pass-through) state.
#include "drift_controller.hpp"

#include <algorithm>
#include <cmath>

namespace disorder::playrtp {

void DriftController::reset() {
  locked_ = true;
  drift_ = 0;
}

double DriftController::update(double error_s, double dt_s) {
  if (locked_ && std::fabs(error_s) <= s_.engage_s) return 1.0;
  locked_ = false;
  drift_ = std::clamp(drift_ + s_.ki * error_s * dt_s, -s_.max_adjust, s_.max_adjust);
  if (std::fabs(error_s) < s_.release_s && std::fabs(drift_) < s_.release_drift) {
    locked_ = true;
    return 1.0;
  }
  const double adjust = std::clamp(drift_ + s_.kp * error_s, -s_.max_adjust, s_.max_adjust);
  return 1.0 + adjust;
}

} // namespace disorder::playrtp
