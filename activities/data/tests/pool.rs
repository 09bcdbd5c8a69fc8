//! Import, loads, status and datasets on both back ends, with the real sample data.

mod common;

use data::dataset::read_split;
use data::{
    DataError, DatasetOptions, ImportOptions, LoadRequest, LoadStatus, SourceFiles, Strategy,
};

fn opts() -> ImportOptions {
    ImportOptions {
        actor: "test".into(),
        ..Default::default()
    }
}

async fn import_sample(db: &common::TestDb) -> data::ImportReport {
    db.store
        .import(&SourceFiles::Merged(common::sample_csv()), &opts())
        .await
        .unwrap()
}

async fn source_rows(db: &common::TestDb) -> i64 {
    db.store
        .count("SELECT COUNT(*) FROM source_rows")
        .await
        .unwrap()
}

on_both_backends!(import_load_until_full, async |db: &common::TestDb| {
    let store = &db.store;
    let report = import_sample(db).await;
    assert_eq!(report.total_rows, 6698);
    assert!(!report.already_imported);
    // 15 % per class, rounded: between 14 % and 16 % overall.
    assert!(
        (940..=1070).contains(&report.holdout_rows),
        "{}",
        report.holdout_rows
    );
    assert_eq!(report.pool_rows + report.holdout_rows, 6698);

    let initial = store
        .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
        .await
        .unwrap();
    assert_eq!(initial.status, LoadStatus::Loaded);
    let expected = (report.pool_rows as f64 * 0.4).ceil() as i64;
    assert_eq!(initial.loaded_rows, expected);

    let week = store
        .load(&LoadRequest::Increment { percent: 3.0 }, "week_2", "test")
        .await
        .unwrap();
    assert_eq!(week.status, LoadStatus::Loaded);
    let step = (report.pool_rows as f64 * 0.03).ceil() as i64;
    assert_eq!(week.loaded_rows, expected + step);
    let batch = week.batch.clone().unwrap();
    assert_eq!(batch.rows, step);
    assert!((batch.percent_after - batch.percent_before - 3.0).abs() < 0.05);

    // The same batch name again loads nothing and returns the batch as recorded.
    let again = store
        .load(&LoadRequest::Increment { percent: 3.0 }, "week_2", "test")
        .await
        .unwrap();
    assert_eq!(again.status, LoadStatus::AlreadyApplied);
    assert_eq!(again.loaded_rows, week.loaded_rows);
    assert_eq!(again.batch.unwrap().checksum, batch.checksum);

    // Load to the end: 100 % of the pool, then nothing more.
    let mut k = 3;
    loop {
        let out = store
            .load(
                &LoadRequest::Increment { percent: 3.0 },
                &format!("week_{k}"),
                "test",
            )
            .await
            .unwrap();
        if out.status == LoadStatus::PoolExhausted {
            break;
        }
        k += 1;
        assert!(k < 40, "never reached 100 %");
    }
    let status = store.status().await.unwrap();
    assert_eq!(status.loaded_rows, report.pool_rows);
    assert_eq!(status.percent_loaded, 100.0);
    assert_eq!(status.class_counts.len(), 27);
    assert_eq!(status.class_counts.values().sum::<i64>(), report.pool_rows);
    assert_eq!(status.batches.len(), k - 1);
    assert_eq!(
        status.batches.iter().map(|b| b.rows).sum::<i64>(),
        report.pool_rows
    );

    // Holdout rows are never loaded.
    let leaked = store
        .count("SELECT COUNT(*) FROM products p JOIN source_rows s ON s.productid = p.productid WHERE s.is_holdout")
        .await
        .unwrap();
    assert_eq!(leaked, 0);
    assert_eq!(
        store.count("SELECT COUNT(*) FROM labels").await.unwrap(),
        report.pool_rows
    );

    // Every change is in the audit log, which refuses updates.
    let audit = store.audit_log(100).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "load").count(), k - 1);
    assert_eq!(audit.iter().filter(|a| a.action == "import").count(), 1);
    assert!(
        store
            .execute_raw("UPDATE audit_log SET actor = 'x'")
            .await
            .is_err()
    );
    assert!(store.execute_raw("DELETE FROM audit_log").await.is_err());
});

on_both_backends!(
    reimport_is_a_noop_and_another_pool_is_refused,
    async |db: &common::TestDb| {
        let first = import_sample(db).await;
        let again = import_sample(db).await;
        assert!(again.already_imported);
        assert_eq!(again.import_id, first.import_id);
        assert_eq!(source_rows(db).await, 6698);

        let other = db.dir.path().join("other.csv");
        std::fs::write(
            &other,
            "designation,description,productid,imageid,prdtypecode\nA,,1,2,10\nB,,3,4,40\n",
        )
        .unwrap();
        let err = db
            .store
            .import(&SourceFiles::Merged(other), &opts())
            .await
            .unwrap_err();
        assert!(matches!(err, DataError::PoolConflict { .. }), "{err}");
        assert_eq!(source_rows(db).await, 6698);
    }
);

on_both_backends!(bad_file_imports_nothing, async |db: &common::TestDb| {
    let bad = db.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "designation,description,productid,imageid,prdtypecode\nA,,1,2,10\nB,,3,4,abc\n",
    )
    .unwrap();
    let err = db
        .store
        .import(&SourceFiles::Merged(bad), &opts())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("bad.csv:3: prdtypecode must be an integer"),
        "{err}"
    );
    assert_eq!(
        db.store
            .count("SELECT COUNT(*) FROM source_rows")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.store
            .count("SELECT COUNT(*) FROM imports")
            .await
            .unwrap(),
        0
    );
    assert!(matches!(
        db.store
            .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
            .await,
        Err(DataError::NoSourcePool)
    ));
});

on_both_backends!(
    concurrent_loads_never_overlap,
    async |db: &common::TestDb| {
        let report = import_sample(db).await;
        let a = db.store.clone();
        let b = db.store.clone();
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move {
                a.load(&LoadRequest::Increment { percent: 10.0 }, "a", "test")
                    .await
            }),
            tokio::spawn(async move {
                b.load(&LoadRequest::Increment { percent: 10.0 }, "b", "test")
                    .await
            }),
        );
        let (ra, rb) = (ra.unwrap().unwrap(), rb.unwrap().unwrap());
        let step = (report.pool_rows as f64 * 0.1).ceil() as i64;
        assert_eq!(ra.loaded_rows.max(rb.loaded_rows), 2 * step);
        assert_eq!(
            db.store
                .count("SELECT COUNT(*) FROM products")
                .await
                .unwrap(),
            2 * step
        );
    }
);

on_both_backends!(
    concurrent_imports_of_two_sources_one_wins,
    async |db: &common::TestDb| {
        // Two different sources imported at once on an empty database: one lands whole, the other is told a
        // pool exists (not a raw unique-key or lock error).
        // The other source is the sample plus one row: both take as long to read, so they overlap.
        let other = db.dir.path().join("other.csv");
        let mut text = std::fs::read_to_string(common::sample_csv()).unwrap();
        assert!(text.ends_with('\n'));
        text.push_str("Produit en plus,,987654321012,1,10\n");
        std::fs::write(&other, text).unwrap();
        let race = |f: SourceFiles, g: SourceFiles| {
            let (a, b) = (db.store.clone(), db.store.clone());
            async move {
                let (ra, rb) = tokio::join!(
                    tokio::spawn(async move { a.import(&f, &opts()).await }),
                    tokio::spawn(async move { b.import(&g, &opts()).await }),
                );
                (ra.unwrap(), rb.unwrap())
            }
        };
        let (ra, rb) = race(
            SourceFiles::Merged(common::sample_csv()),
            SourceFiles::Merged(other.clone()),
        )
        .await;
        let (won, lost) = match (&ra, &rb) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            _ => panic!("exactly one import must land: {ra:?} / {rb:?}"),
        };
        assert!(!won.already_imported);
        assert!(matches!(lost, DataError::PoolConflict { .. }), "{lost}");
        let rows = source_rows(db).await;
        assert_eq!(rows, won.total_rows, "only the winner's rows are stored");
    }
);

on_both_backends!(
    concurrent_imports_of_one_source_import_it_once,
    async |db: &common::TestDb| {
        let (a, b) = (db.store.clone(), db.store.clone());
        let sample = || SourceFiles::Merged(common::sample_csv());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a.import(&sample(), &opts()).await }),
            tokio::spawn(async move { b.import(&sample(), &opts()).await }),
        );
        let (ra, rb) = (ra.unwrap().unwrap(), rb.unwrap().unwrap());
        assert_eq!(ra.import_id, rb.import_id);
        assert!(
            ra.already_imported != rb.already_imported,
            "{ra:?} / {rb:?}"
        );
        assert_eq!(source_rows(db).await, 6698);
    }
);

on_both_backends!(
    dataset_versions_are_reproducible,
    async |db: &common::TestDb| {
        let store = &db.store;
        let artifacts = db.artifacts();
        import_sample(db).await;
        assert!(matches!(
            store
                .build_dataset(&artifacts, &DatasetOptions::default())
                .await,
            Err(DataError::NothingLoaded)
        ));
        store
            .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
            .await
            .unwrap();

        let o = DatasetOptions {
            strategy: Strategy::Undersample,
            actor: "test".into(),
            ..Default::default()
        };
        let v1 = store.build_dataset(&artifacts, &o).await.unwrap();
        assert!(!v1.reused);
        let v2 = store.build_dataset(&artifacts, &o).await.unwrap();
        assert!(v2.reused);
        assert_eq!(v1.id(), v2.id());
        assert_eq!(v1.sha256, v2.sha256);

        let train = read_split(&artifacts, &v1.manifest, "train").await.unwrap();
        let counts = &v1.manifest.files["train"].class_distribution;
        assert_eq!(counts.len(), 27);
        let min = *counts.values().min().unwrap();
        assert!(
            counts.values().all(|&c| c == min),
            "undersampled classes are equal: {counts:?}"
        );
        assert_eq!(train.len(), min * 27);
        let holdout = read_split(&artifacts, &v1.manifest, "holdout")
            .await
            .unwrap();
        assert_eq!(
            holdout.len() as i64,
            store
                .count("SELECT COUNT(*) FROM source_rows WHERE is_holdout")
                .await
                .unwrap()
        );

        // The same input in a fresh database gives the same version id and the same bytes.
        let other = common::TestDb::sqlite().await;
        other
            .store
            .import(&SourceFiles::Merged(common::sample_csv()), &opts())
            .await
            .unwrap();
        other
            .store
            .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
            .await
            .unwrap();
        let v3 = other
            .store
            .build_dataset(&other.artifacts(), &o)
            .await
            .unwrap();
        assert_eq!(v3.id(), v1.id());
        assert_eq!(v3.sha256, v1.sha256);
        other.cleanup().await;

        // More data or another strategy: another version.
        let v4 = store
            .build_dataset(
                &artifacts,
                &DatasetOptions {
                    strategy: Strategy::Oversample,
                    ..o.clone()
                },
            )
            .await
            .unwrap();
        assert_ne!(v4.id(), v1.id());
        store
            .load(&LoadRequest::Increment { percent: 3.0 }, "week_2", "test")
            .await
            .unwrap();
        let v5 = store.build_dataset(&artifacts, &o).await.unwrap();
        assert_ne!(v5.id(), v1.id());
        assert_eq!(v5.manifest.last_batch.as_deref(), Some("week_2"));
        assert_eq!(store.dataset_versions().await.unwrap().len(), 3);

        // A corrupted file is detected on read.
        let key = &v1.manifest.files["validation"].key;
        std::fs::write(db.dir.path().join("artifacts").join(key), b"not parquet").unwrap();
        assert!(matches!(
            read_split(&artifacts, &v1.manifest, "validation").await,
            Err(DataError::ArtifactCorrupt { .. })
        ));
    }
);

on_both_backends!(
    generated_challenge_files_import,
    async |db: &common::TestDb| {
        let rows = data::generate::generate(3000, 11);
        let (x_train, y_train) =
            data::generate::write_challenge_files(&db.dir.path().join("gen"), &rows).unwrap();
        let report = db
            .store
            .import(&SourceFiles::Challenge { x_train, y_train }, &opts())
            .await
            .unwrap();
        assert_eq!(report.total_rows, 3000);
        // Every generated row round-trips through the CSV into the database unchanged.
        let stored: Vec<(i64, String, String, i64)> = {
            let (_, mut holdout) = db.store.holdout().await.unwrap();
            holdout.sort_by_key(|r| r.productid);
            holdout
                .into_iter()
                .map(|r| (r.productid, r.designation, r.description, r.prdtypecode))
                .collect()
        };
        assert_eq!(stored.len() as i64, report.holdout_rows);
        for (pid, designation, description, code) in stored {
            let g = rows
                .iter()
                .find(|r| r.productid == pid)
                .expect("a generated row");
            assert_eq!(
                (&g.designation, &g.description, g.prdtypecode),
                (&designation, &description, code)
            );
        }
        let status = db.store.status().await.unwrap();
        assert_eq!(status.import.unwrap().kind, "challenge");
    }
);

on_both_backends!(
    reused_names_and_options_are_checked,
    async |db: &common::TestDb| {
        import_sample(db).await;
        let store = &db.store;
        store
            .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
            .await
            .unwrap();
        // The same name for another request is refused, not silently taken as a retry.
        let err = store
            .load(&LoadRequest::Initial { percent: 50.0 }, "initial", "test")
            .await
            .unwrap_err();
        assert!(matches!(err, DataError::InvalidArgument(_)), "{err}");
        assert!(err.to_string().contains("another batch name"), "{err}");
        // An initial load below what is loaded loads nothing and says so (not "pool exhausted").
        let out = store
            .load(
                &LoadRequest::Initial { percent: 30.0 },
                "initial-30",
                "test",
            )
            .await
            .unwrap();
        assert_eq!(out.status, LoadStatus::TargetReached);
        assert!(out.batch.is_none());
        // The same rows imported again with another holdout would silently keep the old one: refused.
        let other = ImportOptions { seed: 7, ..opts() };
        let err = store
            .import(&SourceFiles::Merged(common::sample_csv()), &other)
            .await
            .unwrap_err();
        assert!(matches!(err, DataError::InvalidArgument(_)), "{err}");
        // A NUL in logged text is dropped, not fatal to the batch on PostgreSQL.
        let rec = data::inference::InferenceRecord::new(
            "nul".into(),
            chrono::Utc::now(),
            ("m", "1"),
            "a\0b",
            "",
            None,
            10,
            0.5,
            1.0,
        );
        assert_eq!(rec.designation, "ab");
        assert_eq!(store.append_inference_log(&[rec]).await.unwrap(), 1);
    }
);

on_both_backends!(
    a_window_is_sampled_in_bounded_memory,
    async |db: &common::TestDb| {
        use chrono::{Duration, Utc};
        let base = Utc::now() - Duration::hours(2);
        let rows: Vec<_> = (0..1_000)
            .map(|i| {
                data::inference::InferenceRecord::new(
                    format!("p-{i:04}"),
                    base + Duration::milliseconds(i * 10),
                    ("m", if i % 4 == 0 { "1" } else { "2" }),
                    &format!("produit {i}"),
                    "",
                    None,
                    10,
                    0.5,
                    1.0,
                )
            })
            .collect();
        db.store.append_inference_log(&rows).await.unwrap();
        let (since, until) = (base, base + Duration::hours(1));
        let sample = db
            .store
            .inference_sample(since, until, 100, 7)
            .await
            .unwrap();
        assert_eq!(sample.total, 1_000);
        assert_eq!(sample.rows.len(), 100, "at most the cap");
        assert_eq!(sample.by_version[&("m".into(), "1".into())], 250);
        assert_eq!(sample.by_version[&("m".into(), "2".into())], 750);
        assert_eq!(sample.main_version(), Some(&("m".into(), "2".into())));
        let ids = |s: &data::inference::InferenceSample| {
            s.rows
                .iter()
                .map(|r| r.prediction_id.clone())
                .collect::<Vec<_>>()
        };
        let mut sorted = ids(&sample);
        sorted.sort();
        assert_eq!(sorted, ids(&sample), "oldest first");
        sorted.dedup();
        assert_eq!(sorted.len(), 100, "no row twice");
        // Seeded: the same sample again; another seed, another sample; spread over the window, not its start.
        let again = db
            .store
            .inference_sample(since, until, 100, 7)
            .await
            .unwrap();
        assert_eq!(ids(&again), ids(&sample));
        let other = db
            .store
            .inference_sample(since, until, 100, 8)
            .await
            .unwrap();
        assert_ne!(ids(&other), ids(&sample));
        let late = sample
            .rows
            .iter()
            .filter(|r| r.prediction_id.as_str() >= "p-0500")
            .count();
        assert!(
            (25..=75).contains(&late),
            "{late} of 100 from the second half"
        );
        // Under the cap: every row.
        let all = db
            .store
            .inference_sample(since, until, 5_000, 7)
            .await
            .unwrap();
        assert_eq!(all.rows.len(), 1_000);
    }
);
