//! The `rakuten` binary end to end: exit codes, `--json` documents, idempotence, `up` twice.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    db: String,
}

impl Env {
    fn sqlite() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("r.db").display());
        Env { dir, db }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rakuten"))
            .current_dir(self.dir.path())
            .env("RAKUTEN_DATABASE_URL", &self.db)
            .env("RAKUTEN_ARTIFACTS", self.dir.path().join("artifacts"))
            .env("RAKUTEN_ACTOR", "test")
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs with `--json`, expects success, returns the document.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document: {e}"))
    }

    fn path(&self, p: &str) -> String {
        self.dir.path().join(p).display().to_string()
    }
}

fn generate(env: &Env, rows: usize) -> (String, String) {
    let g = env.json(&[
        "data",
        "generate",
        "--out",
        &env.path("gen"),
        "--rows",
        &rows.to_string(),
        "--seed",
        "3",
    ]);
    assert_eq!(g["rows"], rows);
    (env.path("gen/X_train.csv"), env.path("gen/Y_train.csv"))
}

#[test]
fn the_data_lifecycle_through_the_cli() {
    let env = Env::sqlite();
    let (x, y) = generate(&env, 3000);
    let imp = env.json(&["data", "import", "--x-train", &x, "--y-train", &y]);
    assert_eq!(imp["total_rows"], 3000);
    assert_eq!(imp["already_imported"], false);
    let pool = imp["pool_rows"].as_i64().unwrap();

    let l = env.json(&["data", "load", "--initial", "40"]);
    assert_eq!(l["status"], "loaded");
    assert_eq!(l["batch"]["name"], "initial");
    let w = env.json(&["data", "load", "--percent", "3", "--batch", "week_2"]);
    assert_eq!(w["batch"]["rows"], (pool as f64 * 0.03).ceil() as i64);
    let again = env.json(&["data", "load", "--percent", "3", "--batch", "week_2"]);
    assert_eq!(again["status"], "already_applied");
    assert_eq!(again["loaded_rows"], w["loaded_rows"]);
    // The human form says so too.
    let out = env.run(&["data", "load", "--percent", "3", "--batch", "week_2"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already applied"));

    let s = env.json(&["data", "status"]);
    assert_eq!(s["loaded_rows"], w["loaded_rows"]);
    assert_eq!(s["batches"].as_array().unwrap().len(), 2);
    assert_eq!(s["class_counts"].as_object().unwrap().len(), 27);

    let d1 = env.json(&["data", "dataset", "--strategy", "undersample"]);
    let d2 = env.json(&["data", "dataset", "--strategy", "undersample"]);
    assert_eq!(d1["manifest"]["id"], d2["manifest"]["id"]);
    assert_eq!(d2["reused"], true);
    let key = d1["manifest"]["files"]["train"]["key"].as_str().unwrap();
    assert!(Path::new(&env.path("artifacts")).join(key).exists());
    assert_eq!(env.json(&["data", "datasets"]).as_array().unwrap().len(), 1);
    let audit = env.json(&["data", "audit"]);
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "build_dataset" && e["actor"] == "test")
    );
}

#[test]
fn bad_input_exits_2_naming_file_and_line_and_imports_nothing() {
    let env = Env::sqlite();
    let bad = env.path("bad.csv");
    std::fs::write(&bad, "designation,description,productid,imageid,prdtypecode\nA,,1,2,10\nB,\"multi\nline\",3,4,x\n").unwrap();
    let out = env.run(&["data", "import", "--csv", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3: prdtypecode must be an integer"),
        "{err}"
    );
    assert_eq!(env.json(&["data", "status"])["import"], Value::Null);

    let out = env.run(&["data", "load", "--percent", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rakuten data import"));
    let out = env.run(&["data", "dataset", "--strategy", "balanced"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown strategy"));
    let out = env.run(&["data", "import"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

#[test]
fn up_seeds_once_and_is_idempotent() {
    let env = Env::sqlite();
    let first = env.json(&["up", "--seed-rows", "2000"]);
    assert_eq!(first["import"]["total_rows"], 2000);
    assert_eq!(first["initial_load"]["status"], "loaded");
    assert!((first["status"]["percent_loaded"].as_f64().unwrap() - 40.0).abs() < 0.1);
    let id = first["dataset"]["manifest"]["id"].clone();
    // Synthetic seed files sit beside the SQLite database.
    assert!(Path::new(&env.path("seed/X_train.csv")).exists());

    let second = env.json(&["up", "--seed-rows", "2000"]);
    assert_eq!(second["import"], Value::Null, "no second import");
    assert_eq!(second["initial_load"]["status"], "already_applied");
    assert_eq!(second["dataset"]["manifest"]["id"], id);
    assert_eq!(second["dataset"]["reused"], true);
}

#[test]
fn the_real_sample_on_postgres() {
    let base = std::env::var("RAKUTEN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let dbname = format!("cli_{}", std::process::id());
    let admin = Command::new("psql")
        .args([base.as_str(), "-qc", &format!("CREATE DATABASE {dbname}")])
        .output()
        .unwrap();
    assert!(
        admin.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&admin.stderr)
    );
    let mut env = Env::sqlite();
    env.db = format!("{}/{dbname}", base.rsplit_once('/').unwrap().0);
    let shared = std::env::var("RAKUTEN_SHARED_DIR")
        .unwrap_or_else(|_| format!("{}/../../../shared", env!("CARGO_MANIFEST_DIR")));
    let sample = format!("{shared}/data/rakuten_sample.csv");
    let imp = env.json(&["data", "import", "--csv", &sample]);
    assert_eq!(imp["total_rows"], 6698);
    let l = env.json(&["data", "load", "--initial", "40"]);
    assert_eq!(
        l["loaded_rows"],
        (imp["pool_rows"].as_f64().unwrap() * 0.4).ceil() as i64
    );
    let d = env.json(&["data", "dataset", "--strategy", "none"]);
    assert_eq!(
        d["manifest"]["files"]["holdout"]["rows"],
        imp["holdout_rows"]
    );
    let _ = Command::new("psql")
        .args([
            base.as_str(),
            "-qc",
            &format!("DROP DATABASE {dbname} WITH (FORCE)"),
        ])
        .output();
}
