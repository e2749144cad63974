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

#[cfg(test)]
mod tests {
    #[global_allocator]
    static ALLOCATOR: super::MiMalloc = super::MiMalloc;

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

    #[test]
    fn purging_is_safe_from_any_thread_while_others_allocate() {
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
