// Force-included into every C++ file of the builtins module (testdata/build-builtins.sh).
//
// Debian's wasm32 libc++ is built without threads or the filesystem library, so <mutex> and
// <thread> declare no std::mutex, std::thread or std::this_thread, and <fstream> no ifstream. The module runs single-threaded (WASI preview 1,
// no shared memory), and abseil uses these names outside tests: mutex.cc
// (std::this_thread::yield), sysinfo.cc (std::thread::hardware_concurrency), cctz's
// time_zone_impl.cc (std::mutex with std::lock_guard), and the StdcppWaiter that absl::Mutex
// blocks on (std::unique_lock, std::condition_variable). These are the single-threaded meanings:
// a lock always succeeds, and a wait, which only another thread could end, never happens.
// cctz's time_zone_info.cc opens a Fuchsia-only revision file with std::ifstream; a plugin has
// no files, so here every ifstream fails to open.
#pragma once
#ifdef __cplusplus
#include <__config>
#include <chrono>
#include <cstdlib>
#include <istream>
#include <string>
#include <mutex>
#include <thread>

_LIBCPP_BEGIN_NAMESPACE_STD
#ifndef PROTOWASM_HAVE_STD_MUTEX
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  void lock() {}
  bool try_lock() { return true; }
  void unlock() {}
};
#endif
template <class Mutex>
class unique_lock {
 public:
  explicit unique_lock(Mutex& m) : m_(&m) { m_->lock(); }
  ~unique_lock() { m_->unlock(); }
  unique_lock(const unique_lock&) = delete;
  unique_lock& operator=(const unique_lock&) = delete;
  Mutex* mutex() const noexcept { return m_; }

 private:
  Mutex* m_;
};

enum class cv_status { no_timeout, timeout };

class condition_variable {
 public:
  constexpr condition_variable() noexcept = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;
  void notify_one() noexcept {}
  void notify_all() noexcept {}
  // With one thread nothing can notify: waiting forever is a deadlock, so stop.
  void wait(unique_lock<mutex>&) { abort(); }
  template <class Rep, class Period>
  cv_status wait_for(unique_lock<mutex>&, const chrono::duration<Rep, Period>&) {
    return cv_status::timeout;
  }
  template <class Clock, class Duration>
  cv_status wait_until(unique_lock<mutex>&, const chrono::time_point<Clock, Duration>&) {
    return cv_status::timeout;
  }
};

class thread {
 public:
  static unsigned hardware_concurrency() noexcept { return 1; }
};
namespace this_thread {
inline void yield() noexcept {}
}  // namespace this_thread
template <>
class basic_ifstream<char> : public basic_istream<char> {
 public:
  explicit basic_ifstream(const string&) : basic_istream<char>(nullptr) {
    setstate(ios_base::failbit);
  }
  bool is_open() const { return false; }
};
_LIBCPP_END_NAMESPACE_STD
#endif
