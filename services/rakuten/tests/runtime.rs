//! The binary's runtime pins each worker to its own CPU, and no other thread inherits a pin.
//! One test in its own binary: it reads every thread of the process from /proc.

#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rakuten::runtime::{build_with, current_thread_cpus, process_cpus};

/// The CPU list of every tokio runtime thread (`tokio-rt-worker`, or `tokio-runtime-worker` cut to 15 bytes).
fn runtime_threads() -> Vec<String> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let (Ok(comm), Ok(status)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("status")),
        ) else {
            continue; // the thread ended meanwhile
        };
        if comm.trim().starts_with("tokio-r") {
            let cpus = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .unwrap()
                .trim()
                .to_string();
            out.push(cpus);
        }
    }
    out.sort();
    out
}

#[test]
fn workers_are_pinned_one_per_cpu_and_blocking_threads_are_not() {
    let all = process_cpus().to_vec();
    assert!(!all.is_empty(), "the process's CPUs could not be read");
    if all.len() < 2 {
        eprintln!("one CPU: nothing to pin, nothing to check");
        return;
    }

    // Unpinned: a worker runs anywhere the process may.
    let rt = build_with(2, false).unwrap();
    let mask = rt.block_on(async {
        tokio::spawn(async { current_thread_cpus().unwrap() })
            .await
            .unwrap()
    });
    assert_eq!(mask, all);
    rt.shutdown_timeout(Duration::from_secs(10));

    // Pinned: the two workers take the first two CPUs once idle.
    let rt = build_with(2, true).unwrap();
    let expected: Vec<String> = all[..2].iter().map(|c| c.to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = runtime_threads();
    while seen != expected {
        assert!(
            Instant::now() < deadline,
            "workers never pinned: {seen:?}, expected {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(10)); // polling /proc, not waiting for a guess
        seen = runtime_threads();
    }

    // A blocking thread started from a pinned worker gets the whole mask back, and so does a task's work
    // handed to it; the workers stay pinned.
    let blocking = rt.block_on(async {
        tokio::spawn(async {
            tokio::task::spawn_blocking(|| current_thread_cpus().unwrap())
                .await
                .unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(blocking, all);
    let on_worker: BTreeSet<String> = rt.block_on(async {
        let mut cpus = BTreeSet::new();
        for _ in 0..64 {
            let mask = tokio::spawn(async { current_thread_cpus().unwrap() })
                .await
                .unwrap();
            assert_eq!(mask.len(), 1, "a task ran on an unpinned worker: {mask:?}");
            cpus.insert(mask[0].to_string());
        }
        cpus
    });
    assert!(
        on_worker.is_subset(&expected.iter().cloned().collect()),
        "{on_worker:?}"
    );
}
