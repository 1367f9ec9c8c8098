//! The C allocator's one setting we change: blocks of 256 KiB or more always get pages of their
//! own, which go back to the system when freed.
//!
//! glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MiB),
//! so after a big import's first buffers come and go, later blocks of several MiB (the
//! contact lookup, the statement buffers) come from the main heap, and the heap keeps their
//! pages after they are freed: importing a 1,048,576-row xlsx held 154 MB of anonymous memory
//! for a live heap of 123 MB. A fixed threshold turns the adjustment off (peak RSS 167 → 154
//! MB, `bench/memory.sh`); a `MALLOC_MMAP_THRESHOLD_` in the environment still wins.

/// Blocks from this size on are mapped on their own.
const MMAP_THRESHOLD: i32 = 256 * 1024;

/// Fix glibc's mmap threshold, unless the environment sets it. Call once, first thing.
///
/// The crate's one `unsafe` block: a foreign call with plain integer arguments.
#[allow(unsafe_code)]
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only changes the allocator's parameters; called before any thread
        // starts.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}
