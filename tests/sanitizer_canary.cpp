// A program with deliberate bugs, built only by configure
// --enable-sanitizers: tests/integration/sanitizer_test.py runs it the ways
// the suite runs the real programs (as a grandchild, with stderr closed, as
// the server's unprivileged user) to show that no sanitizer report is lost.
#include <climits>
#include <cstdio>
#include <cstring>

namespace {

// Volatile, so that the compiler can neither see the bugs coming nor
// remove the allocations.
char* volatile sink;
volatile int index_past_end = 8;
volatile int big = INT_MAX;

// Many blocks, each forgotten at once: whatever a register or a stack slot
// still holds, most are unreachable when LeakSanitizer looks at exit.
__attribute__((noinline)) void leak() {
  for (int i = 0; i < 64; ++i)
    sink = new char[16 + i];
  sink = nullptr;
}

__attribute__((noinline)) void overflow() {
  sink = new char[8];
  sink[index_past_end] = 1;
}

} // namespace

int main(int argc, char** argv) {
  const char* bug = argc > 1 ? argv[1] : "";
  if (std::strcmp(bug, "leak") == 0) {
    leak();
  } else if (std::strcmp(bug, "overflow") == 0) {
    overflow();
  } else if (std::strcmp(bug, "undefined") == 0) {
    std::printf("%d\n", big + 1);
  } else {
    std::fprintf(stderr, "usage: sanitizer-canary leak|overflow|undefined\n");
    return 2;
  }
  return 0;
}
