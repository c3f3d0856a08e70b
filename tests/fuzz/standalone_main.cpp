// Runs a libFuzzer target without libFuzzer, so that `make check` builds
// every fuzz target with the ordinary compiler and gives it a quick run:
// each file named on the command line (or each file in a directory named
// there) is one input, then a fixed number of pseudo-random inputs derived
// from those seeds (bytes flipped, inserted, spliced): 100000 unless
// -runs=N says otherwise (libFuzzer's spelling, so one command line suits
// both).  Deterministic, so a failure reproduces.  For real coverage-guided
// fuzzing use scripts/fuzz, which builds the same target file with
// DISORDER_LIBFUZZER defined: this file is then empty and libFuzzer
// supplies main().
#ifndef DISORDER_LIBFUZZER

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

bool read_seed(const std::filesystem::path& path, std::vector<std::string>& seeds) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

} // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> seeds;
  long rounds = 100000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, 6) == "-runs=") {
      char* end = nullptr;
      rounds = std::strtol(argv[i] + 6, &end, 10);
      if (*end || rounds < 0) {
        std::fprintf(stderr, "bad %s\n", argv[i]);
        return 2;
      }
      continue;
    }
    if (arg.substr(0, 1) == "-") {
      std::fprintf(stderr, "unknown option %s (only -runs=N)\n", argv[i]);
      return 2;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(argv[i], ec)) {
      // Sorted, so that the derived inputs do not depend on directory order.
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(argv[i]))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files)
        if (!read_seed(f, seeds)) return 2;
    } else if (!read_seed(argv[i], seeds)) {
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  if (seeds.empty()) seeds.emplace_back("");
  for (const auto& s : seeds)
    run(s);
  std::mt19937 rng(12345);
  const char interesting[] = " \t\n\"'\\#.\0\xff\xc3";
  for (long n = 0; n < rounds; ++n) {
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
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const char* name = std::strrchr(argv[0], '/');
  std::printf("ok %s: %ld inputs in %.1f s\n", name ? name + 1 : argv[0],
              rounds + static_cast<long>(seeds.size()), took.count());
  return 0;
}

#endif
