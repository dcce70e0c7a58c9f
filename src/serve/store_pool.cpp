#include "outbreak/serve/store_pool.hpp"

#include "outbreak/store/open.hpp"

namespace outbreak::serve {

// A discarded lease gives back its slot without a store.
StorePool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(store_));
}

Result<std::unique_ptr<StorePool>> StorePool::open(std::string_view url, int size) {
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < size; ++i) {
    auto opened = store::open_store(url);
    if (!opened) return opened.error();
    stores.push_back(std::move(opened).value());
  }
  return std::make_unique<StorePool>(std::string(url), std::move(stores));
}

StorePool::StorePool(std::string url, std::vector<std::unique_ptr<store::Store>> stores)
    : url_(std::move(url)), idle_(std::move(stores)), available_(static_cast<int>(idle_.size())) {}

Result<StorePool::Lease> StorePool::borrow() {
  std::unique_ptr<store::Store> store;
  {
    std::unique_lock lock(mu_);
    returned_.wait(lock, [this] { return available_ > 0; });
    --available_;
    if (!idle_.empty()) {
      store = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (store == nullptr) {
    // Reconnect outside the lock: it may take the connect timeout.
    auto opened = store::open_store(url_);
    if (!opened) {
      give_back(nullptr);
      return opened.error();
    }
    store = std::move(opened).value();
  }
  return Lease(*this, std::move(store));
}

void StorePool::give_back(std::unique_ptr<store::Store> store) {
  {
    const std::lock_guard lock(mu_);
    if (store != nullptr) idle_.push_back(std::move(store));
    ++available_;
  }
  returned_.notify_one();
}

}  // namespace outbreak::serve
