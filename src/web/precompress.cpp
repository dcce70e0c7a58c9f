// Build-time tool: writes a brotli-compressed copy of one file, for the web
// UI's files embedded into the binary (cmake/embed_web_assets.cmake runs it;
// CMake itself cannot write brotli).
//   outbreak_precompress <input> <output>
// Exit status 0 when done, 1 on any error (a message on stderr).
#include <brotli/encode.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: outbreak_precompress <input> <output>\n";
    return 1;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "outbreak_precompress: cannot read " << argv[1] << '\n';
    return 1;
  }
  const std::string input{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::uint8_t> output(BrotliEncoderMaxCompressedSize(input.size()) + 64);
  std::size_t size = output.size();
  // The best setting: it runs once per build, on a few hundred kilobytes.
  if (BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
                            input.size(), reinterpret_cast<const std::uint8_t*>(input.data()),
                            &size, output.data()) != BROTLI_TRUE) {
    std::cerr << "outbreak_precompress: cannot compress " << argv[1] << '\n';
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(output.data()), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::cerr << "outbreak_precompress: cannot write " << argv[2] << '\n';
    return 1;
  }
  return 0;
}
