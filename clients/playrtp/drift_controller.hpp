// How fast to play: the resampling ratio (input frames per output frame)
// that keeps playout on the jitter buffer's schedule although the sender's
// clock and ours disagree (cheap crystals differ by up to +-200 ppm, which
// over an hour is +-0.7 s: a buffer would empty or overflow).
//
// The error is how far playout lags its schedule, in seconds.  While it
// stays within engage_s the controller is locked: the ratio is exactly 1
// and the resampler passes samples through bit for bit (two hosts whose
// clocks agree, or one host, never resample).  Beyond that it tracks: a
// proportional-integral loop, ratio = 1 + drift + kp * error, with the
// drift estimate integrating ki * error; ki = kp^2 / 4 makes the loop
// critically damped (no overshoot), with a time constant of 2 / kp = 40 s,
// and a sender 200 ppm off is followed with an error that peaks near
// 3 ms.  The adjustment is limited to +-max_adjust (1000 ppm, 1.7 cents:
// below what ears resolve, and far beyond real clock differences).  When
// the error and the drift estimate are both small again, it locks.  Errors
// too big to glide away are the player's business (it skips or waits).
//
// Synchronised playout (synchronised()) holds the error to tens of
// microseconds instead: it engages at 30 us (Playout: or most of a frame, at
// low rates) and releases under 5 us, its
// proportional gain of 4/s takes an error down e-fold in a quarter of a
// second, the adjustment may reach max_glide (1%, 17 cents, for the moment
// a step of up to tens of milliseconds takes: a step is glided, never
// clicked), and the drift estimate -- now only the output's clock against
// ours, as the schedule already follows the sender's -- is learnt only
// while the error is below integrate_below_s, so that a big step does not
// wind it up and overshoot.
// Pure; single-threaded.
#pragma once

namespace disorder::playrtp {

class DriftController {
public:
  struct Settings {
    double kp = 0.05;            // per second
    double ki = 0.05 * 0.05 / 4; // per second squared
    double max_adjust = 1e-3;    // +-1000 ppm
    double engage_s = 0.003;     // error that starts tracking
    double release_s = 0.0005;   // error below which tracking may stop...
    double release_drift = 5e-6; // ...if the drift estimate is this small too
    // The whole adjustment (drift and proportional) is limited to this; 0:
    // max_adjust, which then limits both.
    double max_glide = 0;
    // The drift estimate learns only from errors smaller than this.
    double integrate_below_s = 1e9;
  };
  // The settings of synchronised playout.
  static Settings synchronised();

  DriftController() = default;
  explicit DriftController(const Settings& settings) : s_(settings) {}
  // Other gains from now on; the state is kept.
  void set_settings(const Settings& settings) { s_ = settings; }
  const Settings& settings() const { return s_; }

  // A different sender: forget the drift estimate.
  void reset();
  // After playout jumped: keep the drift estimate, start locked.
  void restart() { locked_ = true; }

  // error_s > 0: playout lags (must consume faster).  dt_s: output time
  // this step covers.  Returns the ratio: exactly 1.0 when locked.
  double update(double error_s, double dt_s);

  bool locked() const { return locked_; }
  double drift() const { return drift_; }

private:
  Settings s_;
  bool locked_ = true;
  double drift_ = 0;
};

} // namespace disorder::playrtp
