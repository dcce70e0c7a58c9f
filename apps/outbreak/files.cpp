#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <random>
#include <streambuf>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>

namespace outbreak::cli {
namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

Error os_error(std::string_view action, const fs::path& path, int error_number) {
  const ErrorCode code = error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  // errno can be 0 when a C++ stream failed for a reason the OS did not see.
  const std::string reason = error_number == 0 ? std::string("unknown error")
                                               : std::generic_category().message(error_number);
  return Error::make(code, fmt::format("cannot {} {}: {}", action, path, reason));
}

// A stream buffer over a file descriptor that remembers why a write failed,
// so that the error names the OS reason (a full disk, a closed FIFO).
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  // Writes out the buffer; after a failure the rest is dropped.
  bool drain() {
    const char* data = pbase();
    auto left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      const ssize_t written = ::write(fd_, data, left);
      if (written < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      data += written;
      left -= static_cast<std::size_t>(written);
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;  // errno of the first failed write
  std::array<char, 1 << 16> buffer_{};
};

// Where an output path's bytes go: `target` is replaced through a temporary
// file, unless `direct`, when it is opened and written as it is.
struct Destination {
  fs::path target;
  bool direct = false;
};

bool in_proc(const fs::path& folder) {
  const std::string text = folder.string();
  return text == "/proc" || text.starts_with("/proc/");
}

// Follows `path` link by link to the file it finally names, so that a
// dangling link names the file that will be created. A chain through /proc
// (/dev/stdout, /dev/fd/N) ends at an open descriptor, not at a file that
// may be replaced: it is written directly.
Result<Destination> follow_links(const fs::path& path) {
  std::error_code error;
  fs::path current = fs::absolute(path, error);
  if (error) return os_error("write", path, error.value());
  for (int hops = 0; hops < 40; ++hops) {
    const fs::path folder = fs::canonical(current.parent_path(), error);
    // A missing folder: creating the temporary file will say so.
    if (error) return Destination{current, false};
    current = folder / current.filename();
    if (in_proc(folder)) return Destination{current, true};
    struct stat status {};
    if (::lstat(current.c_str(), &status) != 0 || !S_ISLNK(status.st_mode)) {
      return Destination{current, false};
    }
    const fs::path link = fs::read_symlink(current, error);
    if (error) return os_error("write", path, error.value());
    current = folder / link;  // an absolute link replaces the folder
  }
  return os_error("write", path, ELOOP);
}

Result<Destination> destination(const fs::path& path) {
  if (!path.has_filename()) return os_error("write", path, EISDIR);
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode)) return os_error("write", path, EISDIR);
    // Devices, FIFOs and sockets are not files to replace.
    if (!S_ISREG(status.st_mode)) return Destination{path, true};
  } else if (errno != ENOENT) {
    return os_error("write", path, errno);
  }
  return follow_links(path);
}

// A name no other process can predict, so that nobody can plant a link there.
std::string random_suffix() {
  constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string suffix(12, ' ');
  std::generate(suffix.begin(), suffix.end(), [&] { return kAlphabet[pick(device)]; });
  return suffix;
}

}  // namespace

struct OutputFile::State {
  State(fs::path given, fs::path replaced, fs::path temporary, int descriptor)
      : path(std::move(given)),
        target(std::move(replaced)),
        temp(std::move(temporary)),
        fd(descriptor),
        buffer(descriptor),
        stream(&buffer) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { discard(); }

  // Closes the descriptor and removes the temporary file, if still there.
  void discard() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
    if (!temp.empty()) ::unlink(temp.c_str());
    temp.clear();
  }

  fs::path path;    // as given, for messages
  fs::path target;  // the file that commit() replaces
  fs::path temp;    // empty when the target is written directly
  int fd;
  FdBuffer buffer;
  std::ostream stream;
};

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return os_error("read", path, errno);
  std::string text;
  char buffer[1 << 16];
  std::size_t count = 0;
  // One byte past the limit is enough to know that the file is too large.
  while (text.size() <= max_bytes &&
         (count = std::fread(buffer, 1, std::min(sizeof buffer, max_bytes + 1 - text.size()),
                             file.get())) > 0) {
    text.append(buffer, count);
  }
  // A directory opens fine on Linux and fails here, with EISDIR.
  if (std::ferror(file.get())) return os_error("read", path, errno);
  if (text.size() > max_bytes) {
    return Error::invalid(fmt::format("{} is larger than {} bytes", fs::path(path), max_bytes));
  }
  return text;
}

Result<OutputFile> OutputFile::open(const fs::path& path) {
  const Result<Destination> where = destination(path);
  if (!where) return where.error();
  if (where->direct) {
    // O_APPEND rather than O_TRUNC: a file behind /dev/stdout then grows as
    // the shell's `>>` asks, and is empty anyway after its `>`.
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return os_error("write", path, errno);
    return OutputFile(std::make_unique<State>(path, where->target, fs::path(), fd));
  }
  // Exclusive creation never follows a link or reuses a file already there;
  // a clash with another run's name only means another draw.
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path temp = where->target;
    temp += ".tmp-" + random_suffix();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return OutputFile(std::make_unique<State>(path, where->target, temp, fd));
    if (errno != EEXIST) return os_error("write", path, errno);
  }
  return os_error("write", path, EEXIST);
}

OutputFile::OutputFile(std::unique_ptr<State> state) : state_(std::move(state)) {}

OutputFile::OutputFile(OutputFile&& other) noexcept = default;

OutputFile::~OutputFile() = default;

std::ostream& OutputFile::stream() { return state_->stream; }

Status OutputFile::commit() {
  State& state = *state_;
  state.stream.flush();
  if (!state.stream || state.fd < 0) {
    const int error_number = state.buffer.error();
    state.discard();
    return os_error("write", state.path, error_number);
  }
  // The data must be on disk before the name says the file is complete.
  const bool replacing = !state.temp.empty();
  if ((replacing && ::fsync(state.fd) != 0) || ::close(state.fd) != 0) {
    const int error_number = errno;
    state.fd = -1;
    state.discard();
    return os_error("write", state.path, error_number);
  }
  state.fd = -1;
  if (replacing && ::rename(state.temp.c_str(), state.target.c_str()) != 0) {
    const int error_number = errno;
    state.discard();
    return os_error("write", state.path, error_number);
  }
  state.temp.clear();
  return Ok{};
}

}  // namespace outbreak::cli
