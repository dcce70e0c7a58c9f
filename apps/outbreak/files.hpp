// Reading input files, and writing output files that appear only when complete.
#pragma once

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The whole file at `path`. Errors: kNotFound if it does not exist, kIo for
// any other failure; the message names the path and the OS error.
Result<std::string> read_text_file(const std::string& path);

// An output file that appears at its path only once it is complete, so that a
// failed or interrupted run never leaves a partial file that looks finished.
// Writes go to `<path>.tmp-<pid>` in the same directory (a rename within one
// file system is atomic); commit() renames it over `path`, and a file that is
// never committed is removed. Not thread-safe.
class AtomicFile {
 public:
  // Opens the temporary file, so that an unwritable path fails before any
  // work is done. Errors: kIo naming the path and the OS error.
  static Result<AtomicFile> create(const std::filesystem::path& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  std::ostream& stream() { return out_; }

  // Flushes, closes and renames onto the final path. Errors: kIo if any
  // write failed or the rename did; the temporary file is then removed.
  Status commit();

 private:
  AtomicFile(std::filesystem::path path, std::filesystem::path temp_path, std::ofstream out);
  void discard() noexcept;

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::ofstream out_;
  bool pending_ = true;  // the temporary file exists and is ours to remove
};

}  // namespace outbreak::cli
