//! Records the git commit the binary is built from (`RAKUTEN_GIT_SHA`), which training runs store as their
//! code version. Outside a git checkout the variable is simply not set.

fn main() {
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
    println!("cargo:rerun-if-env-changed=RAKUTEN_GIT_SHA");
    if std::env::var_os("RAKUTEN_GIT_SHA").is_some() {
        return;
    }
    let sha = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    if let Some(sha) = sha {
        println!("cargo:rustc-env=RAKUTEN_GIT_SHA={}", sha.trim());
    }
}
