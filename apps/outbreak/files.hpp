// Reading input files, and writing output files that appear only when complete.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The whole file at `path`, if it holds at most `max_bytes`. At most
// max_bytes + 1 bytes are read, so that an endless special file (/dev/zero)
// ends too. Errors: kNotFound if it does not exist; kInvalidInput if it is
// larger (the message names the path and the limit); kIo for any other
// failure, naming the path and the OS error.
Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes);

// An output file given on the command line. A regular file (or a new one)
// appears at its path only once complete, so that a failed or interrupted
// run never leaves a partial file that looks finished: writes go to a
// temporary file with a random name, created exclusively next to the final
// target (a symlink is followed, and stays a link), and commit() renames it
// over the target. Anything else that can be opened for writing (a device, a
// FIFO, /dev/stdout) is written directly and never replaced or removed. A
// directory is an error. Not thread-safe.
class OutputFile {
 public:
  // Opens the file (or creates the temporary one), so that an unwritable path
  // fails before any work is done. Errors: kIo naming the path and the OS
  // error (EISDIR for a directory).
  static Result<OutputFile> open(const std::filesystem::path& path);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // removes the temporary file unless committed

  std::ostream& stream();

  // Flushes and closes, then renames the temporary file onto the target.
  // Errors: kIo naming the path if any write, the flush or the rename failed;
  // the temporary file is then removed.
  Status commit();

  struct State;  // the descriptor, its stream and the paths (files.cpp)

 private:
  explicit OutputFile(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace outbreak::cli
