//! The gateway's allocator, and a way to give the operating system back what a bulk job
//! left unused.
//!
//! mimalloc keeps freed pages for reuse and returns them only after its purge delay, and
//! only when the thread that owns them allocates or frees again. The account mirror's first
//! load and its registry and people sweeps allocate tens of megabytes for seconds on
//! threads that then go quiet (tokio's blocking pool, SQLite's writer), so without help the
//! process keeps the load's peak for the rest of its life (README, "Memory (part 3)").
//! [`release_unused`] after such a job gives that memory back without changing how the
//! request path allocates: setting the purge delay to zero for everyone did the same but
//! cost the cached feed 7 % more CPU per request.
//!
//! SQLite (the account mirror, the store) allocates with the C library's `malloc`, not
//! mimalloc: [`trim_c_heap`] gives glibc's free pages back once SQLite has released its
//! page caches, and [`c_heap_in_use`] says how much of it is held.

pub use mimalloc::MiMalloc;

/// Returns the allocator's free pages to the operating system: the calling thread's and
/// every page already given back to mimalloc's shared arenas by other threads. Takes a few
/// milliseconds; call it after a bulk job, never on the request path.
pub fn release_unused() {
    // SAFETY: `mi_collect` has no preconditions: it may be called from any thread at any
    // time, and only walks mimalloc's own bookkeeping.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// Gives back the pages freed longer than mimalloc's purge delay ago (1 s by default),
/// which mimalloc otherwise returns only when some thread next allocates a page, and
/// tidies the calling thread's own free pages. Costs a clock read when nothing is due:
/// cheap enough to call once a second from a runtime thread.
pub fn purge_expired() {
    // SAFETY: as in `release_unused`.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(false);
    }
}

/// Gives the C library's free memory back to the operating system (glibc's
/// `malloc_trim(0)`: every arena's free pages, not only the top of the heap). glibc returns
/// freed memory by itself only from the top of its main heap, so the page caches SQLite
/// frees on idle threads' arenas would otherwise stay resident. Takes about a millisecond
/// per few megabytes; call it after releasing caches, never on the request path. Returns
/// whether any memory was given back (always `false` where the C library is not glibc).
pub fn trim_c_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` has no preconditions; it takes glibc's arena locks itself
        // and may be called from any thread while others allocate.
        #[allow(unsafe_code)]
        let released = unsafe { libc::malloc_trim(0) };
        released == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Bytes the C library's `malloc` has handed out and not had back, in all its arenas
/// (glibc's `mallinfo2`: small blocks plus separately mapped large ones); 0 where the C
/// library is not glibc. In Rappu that is SQLite's memory: its page caches and statements.
pub fn c_heap_in_use() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallinfo2` has no preconditions and returns a plain struct by value.
        #[allow(unsafe_code)]
        let info = unsafe { libc::mallinfo2() };
        info.uordblks.saturating_add(info.hblkhd)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    #[global_allocator]
    static ALLOCATOR: super::MiMalloc = super::MiMalloc;

    /// The tests read the process's resident memory: one at a time.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Resident memory of this process in MiB (Linux).
    fn resident_mib() -> f64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: f64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0.0);
        pages * 4096.0 / (1024.0 * 1024.0)
    }

    #[test]
    fn a_bulk_job_s_memory_goes_back_to_the_system() {
        let _serial = serial();
        // 96 MiB in 4 KiB blocks on a thread that then ends, as a sweep's blocking thread
        // does: its pages go back to mimalloc's arenas, purged only later (without the
        // call below, none of it left: 100.0 -> 100.0 MiB).
        std::thread::spawn(|| {
            let blocks: Vec<Vec<u8>> = (0..24_576).map(|i| vec![i as u8; 4_096]).collect();
            assert_eq!(blocks.len(), 24_576);
        })
        .join()
        .unwrap_or_default();
        let before = resident_mib();
        super::release_unused();
        let after = resident_mib();
        assert!(
            before - after > 48.0,
            "released {:.1} MiB of the 96 MiB job ({before:.1} -> {after:.1} MiB resident)",
            before - after
        );
    }

    /// Memory from the C library's `malloc` (SQLite's, in Rappu) is counted while held, and
    /// what is freed between blocks still held (which glibc keeps: it gives back only the
    /// top of a heap by itself) goes back to the system on a trim.
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_c_library_s_freed_memory_goes_back_to_the_system() {
        const BLOCKS: usize = 8_192;
        const SIZE: usize = 4_360; // a SQLite page cache entry of a 4 KiB page
        const KEEP_EVERY: usize = 64;
        let _serial = serial();
        let before = super::c_heap_in_use();
        let (held, kept_after_free, trimmed) = std::thread::spawn(|| {
            let blocks: Vec<*mut libc::c_void> = (0..BLOCKS)
                // SAFETY: plain malloc of blocks this closure owns, written within their size.
                .map(|i| {
                    #[allow(unsafe_code)]
                    unsafe {
                        let p = libc::malloc(SIZE);
                        if !p.is_null() {
                            std::ptr::write_bytes(p.cast::<u8>(), i as u8, SIZE);
                        }
                        p
                    }
                })
                .collect();
            let held = super::c_heap_in_use();
            let resident = resident_mib();
            let mut kept = Vec::new();
            for (i, p) in blocks.into_iter().enumerate() {
                if i % KEEP_EVERY == KEEP_EVERY - 1 {
                    kept.push(p);
                } else {
                    // SAFETY: each pointer came from `malloc` above and is freed once.
                    #[allow(unsafe_code)]
                    unsafe {
                        libc::free(p)
                    };
                }
            }
            let freed = resident_mib();
            super::trim_c_heap();
            let trimmed = resident_mib();
            for p in kept {
                // SAFETY: as above.
                #[allow(unsafe_code)]
                unsafe {
                    libc::free(p)
                };
            }
            (held, resident - freed, freed - trimmed)
        })
        .join()
        .unwrap_or_default();
        let freed_mib = (BLOCKS - BLOCKS / KEEP_EVERY) as f64 * SIZE as f64 / (1024.0 * 1024.0);
        assert!(
            held.saturating_sub(before) >= BLOCKS * SIZE,
            "{held} bytes held during the job, {before} before"
        );
        assert!(
            trimmed > freed_mib / 2.0,
            "the trim gave back {trimmed:.1} MiB of the {freed_mib:.1} MiB freed between held \
             blocks (freeing alone gave back {kept_after_free:.1} MiB)"
        );
    }

    #[test]
    fn purging_is_safe_from_any_thread_while_others_allocate() {
        let _serial = serial();
        let workers: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    let mut kept = Vec::new();
                    for n in 0..2_000 {
                        kept.push(vec![i as u8; 64 + n % 4_096]);
                        if n % 100 == 0 {
                            super::purge_expired();
                            kept.clear();
                        }
                    }
                    kept.len()
                })
            })
            .collect();
        super::release_unused();
        for worker in workers {
            assert!(worker.join().is_ok_and(|left| left < 100));
        }
    }
}
