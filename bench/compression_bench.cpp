// What compressing a results document costs: gzip (zlib level 6) and brotli
// at several qualities, each the median of several runs, on a file given on
// the command line (a results document saved with `outbreak results ID
// --format json > results.json`). Prints a Markdown table; the server keeps
// finished results compressed at the brotli quality chosen from it
// (src/serve/encoding.hpp, kBrotliQuality).
// Run: build/bench/outbreak_compression_bench results.json [--runs 9]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "serve/encoding.hpp"

namespace {

// The median time of `runs` calls of `compress`, in ms, and the size it gave.
std::pair<double, std::size_t> measure(const std::function<std::string()>& compress, int runs) {
  std::vector<double> ms;
  std::size_t size = 0;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    size = compress().size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], size};
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int runs = 9;
  CLI::App app("Measures gzip and brotli on a results document.");
  app.add_option("file", path, "the document")->required()->check(CLI::ExistingFile);
  app.add_option("--runs", runs, "runs per row, the median is shown (9)")
      ->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  namespace serve = outbreak::serve::detail;
  fmt::print("{} bytes, median of {} runs\n\n| coding | bytes | ms |\n|---|---:|---:|\n",
             text.size(), runs);
  const auto [gzip_ms, gzip_size] = measure([&] { return serve::gzip_compress(text); }, runs);
  fmt::print("| gzip 6 | {} | {:.2f} |\n", gzip_size, gzip_ms);
  for (const int quality : {1, 4, 5, 6, 7, 9, 11}) {
    const auto [ms, size] =
        measure([&] { return serve::brotli_compress(text, quality); }, quality >= 10 ? 3 : runs);
    fmt::print("| br {}{} | {} | {:.2f} |\n", quality,
               quality == serve::kBrotliQuality ? " (used)" : "", size, ms);
  }
  return 0;
}
