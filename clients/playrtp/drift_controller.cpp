// The PI loop with a locked (pass-through) state.
#include "drift_controller.hpp"

#include <algorithm>
#include <cmath>

namespace disorder::playrtp {

void DriftController::reset() {
  locked_ = true;
  drift_ = 0;
}

DriftController::Settings DriftController::synchronised() {
  Settings s;
  s.kp = 4.0;
  s.ki = 0.4;
  s.max_adjust = 1e-3;
  s.max_glide = 1e-2;
  s.engage_s = 30e-6;
  s.release_s = 5e-6;
  s.release_drift = 2e-6;
  s.integrate_below_s = 1e-3;
  return s;
}

double DriftController::update(double error_s, double dt_s) {
  if (locked_ && std::fabs(error_s) <= s_.engage_s) return 1.0;
  locked_ = false;
  if (std::fabs(error_s) < s_.integrate_below_s)
    drift_ = std::clamp(drift_ + s_.ki * error_s * dt_s, -s_.max_adjust, s_.max_adjust);
  if (std::fabs(error_s) < s_.release_s && std::fabs(drift_) < s_.release_drift) {
    locked_ = true;
    return 1.0;
  }
  const double limit = s_.max_glide > 0 ? s_.max_glide : s_.max_adjust;
  const double adjust = std::clamp(drift_ + s_.kp * error_s, -limit, limit);
  return 1.0 + adjust;
}

} // namespace disorder::playrtp
