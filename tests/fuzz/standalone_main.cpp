// Runs a libFuzzer target without libFuzzer, so that `make check` builds
// every fuzz target with the ordinary compiler and gives it a quick run:
// each file named on the command line is one input, then a fixed number of
// pseudo-random inputs derived from those seeds (bytes flipped, inserted,
// spliced).  Deterministic, so a failure reproduces.  For real coverage-
// guided fuzzing use scripts/fuzz.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}
} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) seeds.emplace_back("");
  for (const auto& s : seeds)
    run(s);
  std::mt19937 rng(12345);
  const char interesting[] = " \t\n\"'\\#.\0\xff\xc3";
  const int rounds = 100000;
  for (int n = 0; n < rounds; ++n) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 4) {
      case 0:
        s.insert(pos, 1, interesting[rng() % (sizeof interesting - 1)]);
        break;
      case 1:
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng());
        break;
      case 2:
        if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 4);
        break;
      case 3: {
        const auto& other = seeds[rng() % seeds.size()];
        if (!other.empty()) s.insert(pos, other.substr(rng() % other.size(), 1 + rng() % 16));
        break;
      }
      }
    }
    run(s);
  }
  std::printf("ok %d inputs\n", rounds + static_cast<int>(seeds.size()));
  return 0;
}
