// StorePool: a few Stores on one database, lent to request handlers one at
// a time, because a Store serialises its calls on its one connection.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve {

class StorePool {
 public:
  // A borrowed Store, given back when the lease ends. Not thread-safe: one
  // thread uses it (the Store itself is).
  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<store::Store> store)
        : pool_(&pool), store_(std::move(store)) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), store_(std::move(other.store_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    store::Store* operator->() const { return store_.get(); }
    store::Store& operator*() const { return *store_; }
    // Closes the connection instead of giving it back, so that the next
    // borrower reconnects: call after a kIo error (a restarted server, a
    // dropped connection).
    void discard() { store_.reset(); }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
  };

  // Opens `size` (>= 1) stores on `url` (already migrated). Errors: those
  // of store::open_store.
  static Result<std::unique_ptr<StorePool>> open(std::string_view url, int size);

  // Waits for a free store; reopens one that was discarded. Thread-safe.
  // Errors: those of store::open_store (kIo when the database is gone).
  Result<Lease> borrow();

  const std::string& url() const { return url_; }

  // Use open(); public only for std::make_unique.
  StorePool(std::string url, std::vector<std::unique_ptr<store::Store>> stores);

 private:
  void give_back(std::unique_ptr<store::Store> store);

  std::string url_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<store::Store>> idle_;  // free, open stores
  int available_;  // free slots: idle stores plus discarded ones to reopen
};

}  // namespace outbreak::serve
