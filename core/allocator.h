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

// Gives the pages malloc holds free back to the system (malloc_trim), after
// work that parsed much and keeps little (a list, a rules load), so that
// RSS is what is kept. From any thread: calls are serialized, because
// glibc's first malloc_trim initializes its arenas without a lock (a race
// only where malloc is not glibc's own, as under AddressSanitizer, which
// crashed a test with two reflectors trimming at once); under the
// sanitizers, whose allocator is not glibc's, it does nothing.
void return_free_memory();

}  // namespace releasegate
