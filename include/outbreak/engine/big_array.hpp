// BigArray<T>: a fixed-size, uninitialized array for per-agent state, backed
// by transparent huge pages where the OS offers them.
//
// The engine reads agent state in random order (whoever an infectious agent
// meets), so with 4 KiB pages nearly every access at 10 million agents is a
// TLB miss as well as a cache miss. 2 MiB pages cut the TLB misses by ~500x.
// Asking for them is only a hint: without them everything works the same.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace outbreak::engine {

template <typename T>
class BigArray {
 public:
  BigArray() = default;
  // Allocates n elements, not initialized; throws std::bad_alloc.
  explicit BigArray(std::size_t n) : size_(n) {
    constexpr std::size_t kHugePage = std::size_t{2} << 20;
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) {
      data_.reset(static_cast<T*>(std::malloc(bytes == 0 ? 1 : bytes)));
    } else {
      const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      data_.reset(static_cast<T*>(std::aligned_alloc(kHugePage, rounded)));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (data_) madvise(data_.get(), rounded, MADV_HUGEPAGE);
#endif
    }
    if (!data_) throw std::bad_alloc();
  }

  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  std::size_t size_ = 0;
};

}  // namespace outbreak::engine
