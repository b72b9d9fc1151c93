// The process's allocator, set once at start for a program that watches a
// cluster for weeks. glibc raises its mmap threshold each time a large
// block is freed (up to 32 MiB), so after the first list page (megabytes
// of text) every later page comes from the heap, between the small
// long-lived entries the consumers keep: once freed, those pages cannot
// be given back, and the process keeps about twice what it holds
// (bench/README.md, "Observer at scale"). A fixed threshold keeps every
// block of 128 KiB or more in its own mapping, returned when freed.
#pragma once

namespace releasegate {

// Call first in main(), before any thread starts.
void keep_large_blocks_mapped();

}  // namespace releasegate
