#include "core/allocator.h"

#include <malloc.h>

#include <mutex>

namespace releasegate {
namespace {

// The sanitizers bring their own allocator: glibc's then holds nothing.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMallocIsGlibcs = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kMallocIsGlibcs = false;
#else
constexpr bool kMallocIsGlibcs = true;
#endif
#else
constexpr bool kMallocIsGlibcs = true;
#endif

}  // namespace

void keep_large_blocks_mapped() {
  // glibc's default (and floor of its dynamic threshold): 128 KiB. Setting
  // it turns the dynamic adjustment off (mallopt(3), M_MMAP_THRESHOLD).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

void return_free_memory() {
  if (!kMallocIsGlibcs) return;
  static std::mutex trimming;
  std::lock_guard lock(trimming);
  malloc_trim(0);
}

}  // namespace releasegate
