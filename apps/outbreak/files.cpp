#include "files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>

namespace outbreak::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

Error os_error(std::string_view action, const std::filesystem::path& path, int error_number) {
  const ErrorCode code = error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  // errno can be 0 when a C++ stream failed for a reason the OS did not see.
  const std::string reason = error_number == 0 ? std::string("unknown error")
                                               : std::generic_category().message(error_number);
  return Error::make(code, fmt::format("cannot {} {}: {}", action, path, reason));
}

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return os_error("read", path, errno);
  std::string text;
  char buffer[1 << 16];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
  // A directory opens fine on Linux and fails here, with EISDIR.
  if (std::ferror(file.get())) return os_error("read", path, errno);
  return text;
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path) {
  std::filesystem::path temp_path = path;
  temp_path += fmt::format(".tmp-{}", ::getpid());
  errno = 0;
  std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
  if (!out) return os_error("write", path, errno);
  return AtomicFile(path, std::move(temp_path), std::move(out));
}

AtomicFile::AtomicFile(std::filesystem::path path, std::filesystem::path temp_path,
                       std::ofstream out)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), out_(std::move(out)) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      out_(std::move(other.out_)),
      pending_(std::exchange(other.pending_, false)) {}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (!pending_) return;
  pending_ = false;
  out_.close();
  std::error_code ignored;  // nothing better to do in a destructor
  std::filesystem::remove(temp_path_, ignored);
}

Status AtomicFile::commit() {
  errno = 0;
  out_.flush();
  out_.close();
  if (out_.fail()) {
    const int error_number = errno;
    discard();
    return os_error("write", path_, error_number);
  }
  std::error_code error;
  std::filesystem::rename(temp_path_, path_, error);
  if (error) {
    discard();
    return Error::make(ErrorCode::kIo, fmt::format("cannot write {}: {}", path_, error.message()));
  }
  pending_ = false;
  return Ok{};
}

}  // namespace outbreak::cli
