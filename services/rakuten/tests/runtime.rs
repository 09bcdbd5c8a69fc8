//! The binary's runtime pins each worker to its own CPU, and no other thread inherits a pin.
//! One test in its own binary: it reads every thread of the process from /proc.

#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rakuten::runtime::{build_with, current_thread_cpus, process_cpus};

/// The CPU list of every tokio runtime thread of this process (`tokio-rt-worker`, or `tokio-runtime-worker`
/// cut to 15 bytes).
fn runtime_threads() -> Vec<String> {
    threads_cpus("self")
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

/// The CPU lists of the tokio runtime threads of process `pid` (`self` for this one).
fn threads_cpus(pid: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks {
        let dir = task.unwrap().path();
        let (Ok(comm), Ok(status)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("status")),
        ) else {
            continue;
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

/// How many of these threads run on one CPU only (the blocking pool's threads, named like the workers, keep the
/// whole mask).
fn pinned(cpus: &[String]) -> usize {
    cpus.iter().filter(|c| !c.contains(['-', ','])).count()
}

/// `rakuten serve` in a cgroup (v1 `cpu` controller) whose quota is one CPU, on a host whose affinity mask has
/// more: the process does not own the CPUs of its mask, so its workers are left unpinned. The same binary
/// outside the cgroup pins them. Skipped (with the reason) where cgroups cannot be created.
#[test]
fn under_a_cpu_quota_the_workers_are_not_pinned() {
    let all = process_cpus().to_vec();
    if all.len() < 2 {
        eprintln!("one CPU: nothing to pin, nothing to check");
        return;
    }
    let group = std::path::Path::new("/sys/fs/cgroup/cpu")
        .join(format!("rakuten-test-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir(&group)
        .and_then(|()| std::fs::write(group.join("cpu.cfs_period_us"), "100000"))
        .and_then(|()| std::fs::write(group.join("cpu.cfs_quota_us"), "100000"))
    {
        let _ = std::fs::remove_dir(&group);
        eprintln!("skipped: cannot create a cgroup v1 cpu group here ({e})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let serve = |in_group: bool| {
        let exe = env!("CARGO_BIN_EXE_rakuten");
        let db = format!("sqlite://{}", dir.path().join("t.db").display());
        let script = if in_group {
            format!(
                "echo $$ > {}/cgroup.procs && exec \"$0\" \"$@\"",
                group.display()
            )
        } else {
            "exec \"$0\" \"$@\"".to_string()
        };
        std::process::Command::new("sh")
            .args(["-c", &script, exe])
            .args(["--json", "serve", "--http-port", "0", "--grpc-port", "0"])
            .env("RAKUTEN_DATABASE_URL", &db)
            .env("RAKUTEN_ARTIFACTS", dir.path().join("artifacts"))
            .env(
                "RAKUTEN_LOG_JOURNAL_DIR",
                dir.path().join(format!("journal-{in_group}")),
            )
            .env_remove("TOKIO_WORKER_THREADS")
            .env_remove("RAKUTEN_PIN_WORKERS")
            .env("RUST_LOG", "rakuten=debug")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join(format!("log-{in_group}"))).unwrap())
            .spawn()
            .unwrap()
    };
    let everything = {
        let first = all[0];
        let last = all[all.len() - 1];
        if all.len() == last - first + 1 {
            format!("{first}-{last}")
        } else {
            all.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let check = |in_group: bool| {
        let mut child = serve(in_group);
        // Serving: its address line is out, the runtime and its workers exist.
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert!(line.contains("http"), "{line}");
        // Two requests answered: the workers have run and gone idle (parked) in between, which is when a worker
        // takes its CPU.
        let addresses: serde_json::Value = serde_json::from_str(&line).unwrap();
        let http = addresses["http"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://");
        for _ in 0..2 {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(http).unwrap();
            stream
                .write_all(b"GET /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        // Without a quota the workers pin themselves on their first park: wait for that. Under the quota
        // nothing is awaited: what is read after the two requests is what stays.
        let settled = |cpus: &[String]| in_group || pinned(cpus) >= all.len();
        let mut seen = threads_cpus(&child.id().to_string());
        while !settled(&seen) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10)); // polling /proc for the workers' first park
            seen = threads_cpus(&child.id().to_string());
        }
        let _ = child.kill();
        let _ = child.wait();
        // What the runtime decided, as it logged it at start (before the address line).
        let log = std::fs::read_to_string(dir.path().join(format!("log-{in_group}"))).unwrap();
        let decision = log
            .lines()
            .find(|l| l.contains("runtime: "))
            .unwrap_or_else(|| panic!("no runtime decision logged: {log}"))
            .to_string();
        (seen, decision)
    };
    let (quota, quota_decision) = check(true);
    let (free, free_decision) = check(false);
    let _ = std::fs::remove_dir(&group);
    assert!(
        quota_decision.contains("runtime: 1 workers, not pinned"),
        "a 1-CPU quota: one worker, not pinned: {quota_decision}"
    );
    assert!(
        free_decision.contains(&format!(
            "runtime: {} workers, pinned one per CPU",
            all.len()
        )),
        "{free_decision}"
    );
    assert!(
        quota.iter().all(|c| *c == everything) && !quota.is_empty(),
        "under a 1-CPU quota every worker keeps the whole mask {everything}: {quota:?}"
    );
    assert_eq!(
        pinned(&free),
        all.len(),
        "without a quota each worker (one per CPU) is pinned to its CPU: {free:?}"
    );
}
