//! The process's async runtime: a multi-threaded tokio runtime whose worker threads are each pinned to their
//! own CPU, when there are no more workers than CPUs the process may use.
//!
//! Why: the inference service's workers share the machine with whatever else runs there (in the benchmark, the
//! load generator). With wrk at 16 connections on 2 cores the p99 was 2.9–4.0 ms unpinned and 1.8–2.1 ms
//! pinned, at the same throughput (`bench/serve_bench.sh`, 5 rounds each). The likely cause, not traced: left
//! to the scheduler, a worker is sometimes queued on the other worker's CPU and a request waits a slice.
//!
//! Threads inherit their creator's CPU mask, so every thread the runtime starts (its blocking pool included)
//! first widens its mask back to the process's CPUs, and a worker narrows it to one CPU when it first goes
//! idle; the rayon pool is started before the runtime, from the main thread. `RAKUTEN_PIN_WORKERS=0` turns
//! pinning off.

use std::cell::Cell;
use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Builder, Runtime};

/// `RAKUTEN_PIN_WORKERS=0` (or `false`, `no`, `off`) leaves the worker threads to the scheduler.
pub const PIN_ENV: &str = "RAKUTEN_PIN_WORKERS";

/// The runtime of the `rakuten` binary: `TOKIO_WORKER_THREADS` workers (default: the CPUs available),
/// pinned unless [`PIN_ENV`] says not to.
pub fn build() -> io::Result<Runtime> {
    // Before any other thread exists: the mask every thread returns to, and the rayon pool's threads, which
    // would otherwise inherit the mask of the first thread to use rayon (a pinned worker, possibly).
    let _ = process_cpus();
    let _ = rayon::current_num_threads();
    build_with(
        worker_count(),
        pin_enabled(std::env::var(PIN_ENV).ok().as_deref()),
    )
}

/// A multi-threaded runtime of `workers` worker threads, pinned one per CPU if `pin` and there are enough CPUs.
pub fn build_with(workers: usize, pin: bool) -> io::Result<Runtime> {
    let workers = workers.max(1);
    let mut builder = Builder::new_multi_thread();
    builder
        .enable_all()
        .worker_threads(workers)
        .on_thread_start(unpin_current_thread);
    let cpus = process_cpus();
    if pin && cpus.len() >= workers && cpus.len() > 1 {
        let next = AtomicUsize::new(0);
        builder.on_thread_park(move || {
            // Only workers park through this hook; each takes the next CPU the first time.
            if PINNED.replace(true) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            if let Some(&cpu) = cpus.get(i)
                && let Err(e) = pin_current_thread(cpu)
            {
                tracing::debug!(cpu, error = %e, "cannot pin a runtime worker");
            }
        });
    }
    builder.build()
}

thread_local! {
    /// Whether this thread has taken its CPU (a worker's first park).
    static PINNED: Cell<bool> = const { Cell::new(false) };
}

/// `TOKIO_WORKER_THREADS` as tokio reads it, else the CPUs available to the process.
pub fn worker_count() -> usize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether the value of [`PIN_ENV`] asks for pinning (it does unless it says no).
pub fn pin_enabled(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "false" | "no" | "off")
    )
}

/// The CPUs the process may run on, as read the first time (from the main thread, by [`build`]).
pub fn process_cpus() -> &'static [usize] {
    static CPUS: OnceLock<Vec<usize>> = OnceLock::new();
    CPUS.get_or_init(|| current_thread_cpus().unwrap_or_default())
}

/// Gives this thread the process's CPUs back (a thread starts with its creator's mask).
pub fn unpin_current_thread() {
    let cpus = process_cpus();
    if !cpus.is_empty() {
        let _ = set_current_thread_cpus(cpus);
    }
}

/// Runs this thread on `cpu` only.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    set_current_thread_cpus(&[cpu])
}

#[cfg(target_os = "linux")]
pub fn current_thread_cpus() -> io::Result<Vec<usize>> {
    use rustix::thread::{CpuSet, sched_getaffinity};
    let set = sched_getaffinity(None)?; // None: the calling thread
    Ok((0..CpuSet::MAX_CPU)
        .filter(|&cpu| set.is_set(cpu))
        .collect())
}

#[cfg(target_os = "linux")]
fn set_current_thread_cpus(cpus: &[usize]) -> io::Result<()> {
    use rustix::thread::{CpuSet, sched_setaffinity};
    let mut set = CpuSet::new();
    for &cpu in cpus.iter().filter(|&&c| c < CpuSet::MAX_CPU) {
        set.set(cpu);
    }
    Ok(sched_setaffinity(None, &set)?)
}

#[cfg(not(target_os = "linux"))]
pub fn current_thread_cpus() -> io::Result<Vec<usize>> {
    Ok(Vec::new()) // no affinity API used elsewhere: nothing is pinned
}

#[cfg(not(target_os = "linux"))]
fn set_current_thread_cpus(_: &[usize]) -> io::Result<()> {
    Ok(())
}

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_is_on_unless_the_variable_says_no() {
        for v in [None, Some("1"), Some("true"), Some(""), Some("yes")] {
            assert!(pin_enabled(v), "{v:?}");
        }
        for v in ["0", "false", "FALSE", " no ", "off"] {
            assert!(!pin_enabled(Some(v)), "{v:?}");
        }
    }
}
