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
//!
//! Pinning needs the process to own the CPUs it pins to. Under a cgroup CPU quota (a container's CPU limit)
//! the affinity mask still lists every host CPU while the process may only use a share of them: pinning there
//! would put every replica's workers on the first CPUs, usually the same ones. So the workers are pinned only
//! when the CPUs available (`available_parallelism`: the mask and the quota, whichever is smaller) are all
//! the CPUs of the mask ([`should_pin`]); otherwise scheduling is left alone.

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
    let available = available_cpus();
    let pinning = pin && should_pin(workers, cpus.len(), available);
    let _ = DECISION.set(format!(
        "{workers} workers, {} (affinity mask {} CPUs, {available} available)",
        if pinning {
            "pinned one per CPU"
        } else {
            "not pinned"
        },
        cpus.len()
    ));
    if pinning {
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

/// Whether `workers` workers may each be pinned to their own CPU of an affinity mask of `mask_cpus` CPUs, when
/// the process may use `available_cpus` (the mask's size, or less under a cgroup CPU quota): only when there is
/// a CPU for every worker and the process owns every CPU of the mask.
pub fn should_pin(workers: usize, mask_cpus: usize, available_cpus: usize) -> bool {
    mask_cpus > 1 && mask_cpus >= workers && available_cpus >= mask_cpus
}

static DECISION: OnceLock<String> = OnceLock::new();

/// What the first runtime built decided: its workers, whether they are pinned, the CPUs it saw (logged at
/// start by the binary, at debug level).
pub fn pinning() -> Option<&'static str> {
    DECISION.get().map(String::as_str)
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
        .unwrap_or_else(available_cpus)
}

/// The CPUs the process may use: its affinity mask, or fewer under a cgroup CPU quota. The standard library's
/// `available_parallelism` misses a cgroup v1 quota on hosts that also mount cgroup v2 (it reads only the v2
/// hierarchy then), so the quota is read here from both.
pub fn available_cpus() -> usize {
    let mask = std::thread::available_parallelism().map_or(1, |n| n.get());
    match cgroup_cpu_quota() {
        Some(quota) => mask.min(quota).max(1),
        None => mask,
    }
}

/// The CPUs a cgroup quota allows this process, rounded up (v2 `cpu.max`, v1 `cpu.cfs_quota_us` over
/// `cpu.cfs_period_us`; the smallest on the way from its group to the hierarchy's root); `None` without one.
pub fn cgroup_cpu_quota() -> Option<usize> {
    let groups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut best: Option<usize> = None;
    for line in groups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let v2 = controllers.is_empty();
        if !v2 && !controllers.split(',').any(|c| c == "cpu") {
            continue;
        }
        let Some((root, mount)) = mounts.lines().find_map(|m| cgroup_mount(m, v2)) else {
            continue;
        };
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .trim_start_matches('/');
        let mut dir = std::path::Path::new(mount).join(relative);
        loop {
            let quota = if v2 {
                std::fs::read_to_string(dir.join("cpu.max"))
                    .ok()
                    .and_then(|t| quota_of_cpu_max(&t))
            } else {
                let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
                match (read("cpu.cfs_quota_us"), read("cpu.cfs_period_us")) {
                    (Some(q), Some(p)) => quota_of(q.trim(), p.trim()),
                    _ => None,
                }
            };
            if let Some(q) = quota {
                best = Some(best.map_or(q, |b| b.min(q)));
            }
            if dir.as_os_str() == mount || !dir.pop() || !dir.starts_with(mount) {
                break;
            }
        }
    }
    best
}

/// `(mount root, mount point)` of a cgroup v2 mount, or of the v1 mount of the `cpu` controller.
fn cgroup_mount(line: &str, v2: bool) -> Option<(&str, &str)> {
    let (fields, rest) = line.split_once(" - ")?;
    let fields: Vec<&str> = fields.split(' ').collect();
    let mut rest = rest.split(' ');
    let (fstype, _source, options) = (rest.next()?, rest.next()?, rest.next()?);
    let wanted = if v2 {
        fstype == "cgroup2"
    } else {
        fstype == "cgroup" && options.split(',').any(|o| o == "cpu")
    };
    wanted.then(|| Some((*fields.get(3)?, *fields.get(4)?)))?
}

/// `cpu.max` ("max 100000" or "150000 100000") as CPUs, rounded up.
fn quota_of_cpu_max(text: &str) -> Option<usize> {
    let mut parts = text.split_whitespace();
    quota_of(parts.next()?, parts.next()?)
}

fn quota_of(quota: &str, period: &str) -> Option<usize> {
    let quota: u64 = quota.parse().ok()?; // "max" and "-1" are no quota
    let period: u64 = period.parse().ok().filter(|&p| p > 0)?;
    Some(quota.div_ceil(period).max(1) as usize)
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
    fn pinning_needs_a_cpu_per_worker_and_no_quota_below_the_mask() {
        assert!(should_pin(2, 2, 2), "a 2-CPU machine, 2 workers");
        assert!(should_pin(2, 4, 4), "fewer workers than CPUs");
        assert!(!should_pin(4, 2, 2), "more workers than CPUs");
        assert!(!should_pin(1, 1, 1), "one CPU: nothing to pin");
        assert!(!should_pin(2, 64, 2), "a 2-CPU quota on a 64-CPU host");
        assert!(!should_pin(1, 2, 1), "a 1-CPU quota on a 2-CPU host");
    }

    #[test]
    fn cgroup_quotas_are_read_in_both_formats() {
        assert_eq!(quota_of_cpu_max("max 100000\n"), None);
        assert_eq!(quota_of_cpu_max("150000 100000\n"), Some(2));
        assert_eq!(quota_of_cpu_max("100000 100000"), Some(1));
        assert_eq!(quota_of("-1", "100000"), None);
        assert_eq!(quota_of("50000", "100000"), Some(1));
        let v1 = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu";
        assert_eq!(cgroup_mount(v1, false), Some(("/", "/sys/fs/cgroup/cpu")));
        assert_eq!(cgroup_mount(v1, true), None);
        let v2 = "40 31 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
        assert_eq!(
            cgroup_mount(v2, true),
            Some(("/", "/sys/fs/cgroup/unified"))
        );
        let acct = "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct";
        assert_eq!(cgroup_mount(acct, false), None);
    }

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
