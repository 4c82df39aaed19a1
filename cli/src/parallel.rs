//! Work spread over a bounded number of threads, results kept in input
//! order, so that what runs in parallel reports exactly as a sequential
//! run would.

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The stack of each worker thread: the main thread's usual size, so that
/// deeply nested input (lint runs on untrusted files) fails or passes the
/// same with one job as with many.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// How many threads to use when not told: one per core the process may use.
pub(crate) fn default_jobs() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Applies `work` to every item on up to `jobs` threads, as
/// [`try_map_in_order`] does, for work that cannot fail.
pub(crate) fn map_in_order<T, R, F>(items: &[T], jobs: NonZeroUsize, work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    match try_map_in_order(items, jobs, |item| Ok::<_, Infallible>(work(item))) {
        Ok(results) => results,
        Err(never) => match never {},
    }
}

/// Applies `work` to every item on up to `jobs` threads (the calling one
/// included; no thread is started for one job or one item) and returns
/// the results in the items' order. Items are handed out in order, so once
/// one fails no later item is started, and the error returned is that of
/// the first failing item: the same as a loop that stops at its first
/// error.
pub(crate) fn try_map_in_order<T, R, E, F>(
    items: &[T],
    jobs: NonZeroUsize,
    work: F,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let threads = jobs.get().min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Mutex<Option<Result<R, E>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    let worker = || {
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { break };
            let result = work(item);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            *lock(&results[index]) = Some(result);
        }
    };
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (1..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK_BYTES)
                    .spawn_scoped(scope, worker)
            })
            .collect();
        worker();
        // A thread that could not be started took no item: the others
        // (this one at least) have taken them all.
        for handle in spawned.into_iter().flatten() {
            // A worker's panic is the run's: carry it to this thread.
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // Items are taken in order and none after a failure, so every item
    // before the first failure has a result, and items without one come
    // after it.
    results
        .into_iter()
        .map_while(|slot| slot.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

fn lock<V>(mutex: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
    }

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..500).collect();
        // Uneven work, so that threads finish out of order.
        let square = |n: &u64| {
            std::thread::sleep(std::time::Duration::from_micros((n * 7919) % 300));
            Ok::<_, ()>(n * n)
        };
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        for n in [1, 2, 3, 8] {
            assert_eq!(
                try_map_in_order(&items, jobs(n), square),
                Ok(expected.clone())
            );
        }
    }

    #[test]
    fn the_first_failure_in_order_is_returned() {
        let items: Vec<u32> = (0..200).collect();
        let fail_at = |n: &u32| {
            // Later failures finish first.
            if *n == 40 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if *n == 40 || *n == 41 || *n == 150 {
                Err(*n)
            } else {
                Ok(*n)
            }
        };
        for n in [1, 2, 4] {
            assert_eq!(try_map_in_order(&items, jobs(n), fail_at), Err(40));
        }
    }

    #[test]
    fn no_items_no_results() {
        let none: [u8; 0] = [];
        assert_eq!(
            try_map_in_order(&none, jobs(4), |n| Ok::<_, ()>(*n)),
            Ok(vec![])
        );
    }
}
