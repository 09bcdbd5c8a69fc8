//! The SQL steps every stage change is made of, as macros so one body serves both back ends inside the
//! caller's transaction (`with_pool!` gives each branch its own concrete transaction type). They expect
//! `audit!`, `CHANNEL` and each other in scope at the call site.

macro_rules! set_stage {
    ($tx:ident, $name:expr, $version:expr, $from:expr, $to:expr, $actor:expr, $reason:expr, $now:expr) => {{
        sqlx::query("UPDATE model_versions SET stage = $1 WHERE name = $2 AND version = $3")
            .bind($to).bind($name).bind($version).execute(&mut *$tx).await?;
        sqlx::query(
            "INSERT INTO stage_transitions (name, version, from_stage, to_stage, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($name).bind($version).bind($from).bind($to).bind($actor).bind($reason).bind($now)
        .execute(&mut *$tx).await?;
        audit!($tx, $actor, "stage_transition", "model_version", format!("{}/{}", $name, $version),
            serde_json::json!({ "from": $from, "to": $to, "reason": $reason }))?;
    }};
}
pub(crate) use set_stage;

/// Inside a transaction holding the model's lock: archive the current Production version, promote `version`,
/// open its production period and point `champion` at it.
macro_rules! promote_locked {
    ($tx:ident, $name:expr, $version:expr, $current:expr, $actor:expr, $reason:expr, $now:expr) => {{
        let previous: Option<i64> =
            sqlx::query_scalar("SELECT version FROM model_versions WHERE name = $1 AND stage = 'Production'")
                .bind($name).fetch_optional(&mut *$tx).await?;
        if let Some(prev) = previous {
            let why = format!("replaced by v{}: {}", $version, $reason);
            set_stage!($tx, $name, prev, "Production", "Archived", $actor, &why, $now);
            sqlx::query("UPDATE production_history SET ended_at = $1 WHERE name = $2 AND ended_at IS NULL")
                .bind($now).bind($name).execute(&mut *$tx).await?;
        }
        set_stage!($tx, $name, $version, $current, "Production", $actor, $reason, $now);
        sqlx::query("INSERT INTO production_history (name, version, started_at, rolled_back) VALUES ($1, $2, $3, $4)")
            .bind($name).bind($version).bind($now).bind(false).execute(&mut *$tx).await?;
        set_alias!($tx, $name, "champion", $version, $now);
    }};
}
pub(crate) use promote_locked;

macro_rules! set_alias {
    ($tx:ident, $name:expr, $alias:expr, $version:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO model_aliases (name, alias, version, set_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, set_at = excluded.set_at",
        )
        .bind($name).bind($alias).bind($version).bind($now).execute(&mut *$tx).await?
    };
}
pub(crate) use set_alias;

/// On PostgreSQL, a NOTIFY delivered at commit; elsewhere the generation bump is the signal.
macro_rules! notify {
    ($store:expr, $tx:ident, $name:expr, $generation:expr) => {
        if $store.backend() == "postgres" {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{}:{}", $name, $generation))
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(crate) use notify;
