//! The life of model versions on SQLite and PostgreSQL: register, promote, archive, roll back, races,
//! corrupt artifacts, runs, change notification.

#[path = "../../data/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use registry::runs::NewRun;
use registry::{Policy, RegisterRequest, Registry, RegistryError, Stage};

const NAME: &str = "rakuten_classifier";

fn registry(db: &common::TestDb) -> Registry {
    Registry::new(db.store.clone(), db.artifacts())
}

/// A model folder whose content (and so whose artifact hash) depends on `tag`.
fn model_dir(root: &Path, tag: &str) -> PathBuf {
    let dir = root.join(format!("model-{tag}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.safetensors"), format!("weights {tag}")).unwrap();
    std::fs::write(dir.join("config.json"), format!("{{\"tag\": \"{tag}\"}}")).unwrap();
    dir
}

fn req(f1: f64) -> RegisterRequest {
    RegisterRequest {
        metrics: serde_json::json!({ "f1_weighted": f1, "accuracy": f1 }),
        holdout_id: Some("holdout-1".into()),
        actor: "test".into(),
        ..Default::default()
    }
}

async fn stage_of(r: &Registry, v: i64) -> Stage {
    r.version(NAME, v).await.unwrap().stage
}

on_both_backends!(the_life_of_versions, async |db: &common::TestDb| {
    let r = registry(db);
    let root = db.dir.path();
    let policy = Policy::default();

    let (v1, created) = r
        .register(NAME, &model_dir(root, "a"), &req(0.80))
        .await
        .unwrap();
    assert!(created);
    assert_eq!((v1.version, v1.stage), (1, Stage::None));
    // Registering the same files again yields the same version.
    let (again, created) = r
        .register(NAME, &model_dir(root, "a"), &req(0.80))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.version, 1);
    assert_eq!(r.versions(Some(NAME)).await.unwrap().len(), 1);

    let d1 = r.apply_policy(NAME, 1, &policy, "test").await.unwrap();
    assert!(d1.promote, "{}", d1.reason);
    let prod = r.production(NAME).await.unwrap().unwrap();
    assert_eq!(prod.version, 1);
    assert_eq!(prod.aliases, vec!["champion".to_string()]);

    let (v2, _) = r
        .register(NAME, &model_dir(root, "b"), &req(0.81))
        .await
        .unwrap();
    assert!(
        r.apply_policy(NAME, v2.version, &policy, "test")
            .await
            .unwrap()
            .promote
    );
    assert_eq!(stage_of(&r, 1).await, Stage::Archived);
    assert_eq!(stage_of(&r, 2).await, Stage::Production);

    // Not enough of a margin: recorded, not promoted.
    let (v3, _) = r
        .register(NAME, &model_dir(root, "c"), &req(0.812))
        .await
        .unwrap();
    let d3 = r
        .apply_policy(NAME, v3.version, &policy, "test")
        .await
        .unwrap();
    assert!(!d3.promote);
    assert_eq!(d3.champion.as_ref().unwrap().version, 2);
    assert_eq!(stage_of(&r, 3).await, Stage::None);
    // The rejected model is archived by hand: it is the newest archived version, yet rollback must skip it.
    r.transition(NAME, 3, Stage::Archived, "test", "rejected")
        .await
        .unwrap();

    let back = r.rollback(NAME, "test", "bad release").await.unwrap();
    assert_eq!(
        back.version, 1,
        "rollback goes to the previous Production version"
    );
    assert_eq!(stage_of(&r, 2).await, Stage::Archived);
    assert_eq!(
        r.production(NAME).await.unwrap().unwrap().aliases,
        vec!["champion".to_string()]
    );
    // v2 was rolled back from, and v1 is current: nothing earlier to go back to.
    assert!(matches!(
        r.rollback(NAME, "test", "again").await,
        Err(RegistryError::NothingToRollBack(_))
    ));

    r.set_alias(NAME, "challenger", 3, "test").await.unwrap();
    assert_eq!(
        r.version(NAME, 3).await.unwrap().aliases,
        vec!["challenger".to_string()]
    );
    assert_eq!(
        r.aliased(NAME, "challenger")
            .await
            .unwrap()
            .map(|v| v.version),
        Some(3)
    );
    let generation = r.generation(NAME).await.unwrap();
    assert!(r.remove_alias(NAME, "challenger", "test").await.unwrap());
    assert!(
        r.generation(NAME).await.unwrap() > generation,
        "watchers hear of it"
    );
    assert!(r.aliased(NAME, "challenger").await.unwrap().is_none());
    assert!(r.version(NAME, 3).await.unwrap().aliases.is_empty());
    assert!(!r.remove_alias(NAME, "challenger", "test").await.unwrap());
    assert!(r.remove_alias(NAME, "champion", "test").await.is_err());
    r.set_alias(NAME, "challenger", 3, "test").await.unwrap();

    let transitions = r.transitions(NAME).await.unwrap();
    assert!(
        transitions
            .iter()
            .any(|t| t.0 == 2 && t.2 == "Archived" && t.4.starts_with("rollback"))
    );
    let audit = db.store.audit_log(100).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "promotion_decision")
            .count(),
        3
    );
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "register_model_version")
            .count(),
        3
    );
    assert_eq!(
        db.store
            .count("SELECT COUNT(*) FROM model_versions WHERE stage = 'Production'")
            .await
            .unwrap(),
        1
    );
});

on_both_backends!(
    concurrent_promotions_leave_one_production,
    async |db: &common::TestDb| {
        let r = registry(db);
        for tag in ["a", "b", "c", "d", "e"] {
            r.register(NAME, &model_dir(db.dir.path(), tag), &req(0.9))
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for v in 1..=5 {
            let r = r.clone();
            tasks.push(tokio::spawn(async move {
                r.transition(NAME, v, Stage::Production, "race", "race")
                    .await
            }));
        }
        for t in tasks {
            // Each promotion either wins or is archived by a later one; none may fail or leave two.
            t.await.unwrap().unwrap();
        }
        assert_eq!(
            db.store
                .count("SELECT COUNT(*) FROM model_versions WHERE stage = 'Production'")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            db.store
                .count("SELECT COUNT(*) FROM model_versions WHERE stage = 'Archived'")
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            db.store
                .count("SELECT COUNT(*) FROM production_history WHERE ended_at IS NULL")
                .await
                .unwrap(),
            1
        );
    }
);

on_both_backends!(
    a_corrupt_artifact_is_never_promoted,
    async |db: &common::TestDb| {
        let r = registry(db);
        let (v, _) = r
            .register(NAME, &model_dir(db.dir.path(), "a"), &req(0.9))
            .await
            .unwrap();
        let file = db
            .dir
            .path()
            .join("artifacts")
            .join(&v.artifact_key)
            .join("model.safetensors");
        std::fs::write(&file, "tampered").unwrap();
        let err = r
            .transition(NAME, 1, Stage::Production, "test", "try")
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::BadArtifact { .. }), "{err}");
        let d = r
            .apply_policy(NAME, 1, &Policy::default(), "test")
            .await
            .unwrap();
        assert!(!d.promote);
        assert!(d.reason.contains("refused"), "{}", d.reason);
        assert!(r.production(NAME).await.unwrap().is_none());
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(
            r.verify_artifact(&v).await,
            Err(RegistryError::BadArtifact { .. })
        ));
    }
);

on_both_backends!(
    runs_record_params_steps_and_results,
    async |db: &common::TestDb| {
        let r = registry(db);
        let new = NewRun {
            run_id: Some("train-2026-W48".into()),
            experiment: "weekly".into(),
            params: serde_json::json!({ "epochs": 3 }),
            dataset_version: Some("ds-1".into()),
            actor: "test".into(),
            ..Default::default()
        };
        let run = r.start_run(&new).await.unwrap();
        assert_eq!(run.status, "running");
        assert_eq!(
            r.start_run(&new).await.unwrap().started_at,
            run.started_at,
            "idempotent by id"
        );
        for (step, loss) in [(1, 0.9), (2, 0.5), (2, 0.4)] {
            r.log_metric(&run.id, "val_f1", step, loss).await.unwrap();
        }
        let done = r
            .finish_run(
                &run.id,
                "finished",
                &serde_json::json!({ "f1_weighted": 0.8 }),
                Some(("s3://x", "abc")),
                "test",
            )
            .await
            .unwrap();
        assert_eq!(done.status, "finished");
        assert_eq!(done.steps["val_f1"], vec![(1, 0.9), (2, 0.4)]);
        assert_eq!(done.params["epochs"], 3);
        assert!(done.ended_at.is_some());
        assert_eq!(r.runs(10).await.unwrap().len(), 1);
        assert!(matches!(
            r.finish_run("nope", "finished", &serde_json::json!({}), None, "t")
                .await,
            Err(RegistryError::NotFound(_))
        ));
    }
);

on_both_backends!(watchers_see_promotions, async |db: &common::TestDb| {
    let r = registry(db);
    r.register(NAME, &model_dir(db.dir.path(), "a"), &req(0.9))
        .await
        .unwrap();
    // On PostgreSQL the periodic check is far beyond the deadline: only the NOTIFY can wake the watcher.
    let poll = if db.store.backend() == "postgres" {
        Duration::from_secs(600)
    } else {
        Duration::from_millis(100)
    };
    let mut w = r.watch(NAME, poll).await.unwrap();
    let before = r.generation(NAME).await.unwrap();
    let r2 = r.clone();
    let promote = tokio::spawn(async move {
        r2.transition(NAME, 1, Stage::Production, "t", "t")
            .await
            .unwrap()
    });
    let g = tokio::time::timeout(Duration::from_secs(20), w.changed())
        .await
        .expect("a change within 20 s")
        .unwrap();
    assert!(g > before);
    promote.await.unwrap();
});

on_both_backends!(
    concurrent_policies_keep_the_better_model,
    async |db: &common::TestDb| {
        // Judged one after the other under the model's lock: whatever the order, the stronger model ends in
        // Production and the weaker one is either rejected or replaced.
        let r = registry(db);
        let (weak, _) = r
            .register(NAME, &model_dir(db.dir.path(), "weak"), &req(0.80))
            .await
            .unwrap();
        let (strong, _) = r
            .register(NAME, &model_dir(db.dir.path(), "strong"), &req(0.90))
            .await
            .unwrap();
        let (a, b) = (r.clone(), r.clone());
        let (da, db_) = tokio::join!(
            tokio::spawn(async move {
                a.apply_policy(NAME, weak.version, &Policy::default(), "race")
                    .await
            }),
            tokio::spawn(async move {
                b.apply_policy(NAME, strong.version, &Policy::default(), "race")
                    .await
            }),
        );
        let (da, db_) = (da.unwrap().unwrap(), db_.unwrap().unwrap());
        assert!(
            db_.promote,
            "the stronger model is promoted whatever the order: {}",
            db_.reason
        );
        assert_eq!(r.production(NAME).await.unwrap().unwrap().version, 2);
        // A recorded "promote" always comes with its promotion.
        let promoted = db
            .store
            .count("SELECT COUNT(*) FROM promotion_decisions WHERE promoted")
            .await
            .unwrap();
        let to_production = db
            .store
            .count("SELECT COUNT(*) FROM stage_transitions WHERE to_stage = 'Production'")
            .await
            .unwrap();
        assert_eq!(promoted, to_production);
        assert_eq!(promoted, if da.promote { 2 } else { 1 });
    }
);

on_both_backends!(
    a_failed_run_runs_again_when_retried,
    async |db: &common::TestDb| {
        let r = registry(db);
        let new = NewRun {
            run_id: Some("train-x".into()),
            experiment: "e".into(),
            actor: "t".into(),
            ..Default::default()
        };
        r.start_run(&new).await.unwrap();
        let failed = r
            .finish_run(
                "train-x",
                "failed",
                &serde_json::json!({ "error": "boom" }),
                None,
                "t",
            )
            .await
            .unwrap();
        assert_eq!(failed.status, "failed");
        let again = r.start_run(&new).await.unwrap();
        assert_eq!(again.status, "running");
        assert!(again.ended_at.is_none());
        r.finish_run("train-x", "finished", &serde_json::json!({}), None, "t")
            .await
            .unwrap();
        // A finished run stays finished when started again.
        assert_eq!(r.start_run(&new).await.unwrap().status, "finished");
    }
);
