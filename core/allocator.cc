#include "core/allocator.h"

#include <malloc.h>

namespace releasegate {

void keep_large_blocks_mapped() {
  // glibc's default (and floor of its dynamic threshold): 128 KiB. Setting
  // it turns the dynamic adjustment off (mallopt(3), M_MMAP_THRESHOLD).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

}  // namespace releasegate
