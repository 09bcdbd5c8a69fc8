//! The database: one `Store` over PostgreSQL or SQLite, migrated at connect.
//!
//! Both back ends run the same SQL where they can (`$1` placeholders work on both); the `with_pool!` macro
//! expands one body for each pool type, so each query is written once and type-checked for both.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{DataError, Result};

/// Default for every command's `--database-url`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.rakuten/rakuten.db";

#[derive(Clone, Debug)]
pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs `$body` with `$pool` bound to the concrete pool (`&PgPool` or `&SqlitePool`).
#[macro_export]
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Postgres($pool) => $body,
            $crate::store::Pool::Sqlite($pool) => $body,
        }
    };
}
pub use with_pool;

/// A connected, migrated database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
}

impl Store {
    /// Connects to `sqlite://PATH` (the file and its folder are created) or `postgres://…`, then applies
    /// the migrations for that back end.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = Store::connect_unmigrated(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (for `rakuten db migrate`, which reports what it applied).
    pub async fn connect_unmigrated(url: &str) -> Result<Store> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?,
            )
        } else if let Some(path) = sqlite_path(url) {
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| DataError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30));
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(DataError::UnsupportedDatabase(url.to_string()));
        };
        Ok(Store { pool })
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_migrations().await.unwrap_or(0);
        match &self.pool {
            Pool::Postgres(p) => sqlx::migrate!("../../migrations/postgres").run(p).await?,
            Pool::Sqlite(p) => sqlx::migrate!("../../migrations/sqlite").run(p).await?,
        }
        Ok(self.applied_migrations().await?.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize> {
        let n: i64 = with_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(p).await?
        });
        Ok(n as usize)
    }

    /// The concrete pool, for crates that share this database (the registry) and use `with_pool!`.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Postgres(_) => "postgres",
            Pool::Sqlite(_) => "sqlite",
        }
    }

    /// The PostgreSQL pool, when that is the back end (the registry uses it for LISTEN/NOTIFY).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, at, actor, action, entity, entity_id, details FROM audit_log ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, at, actor, action, entity, entity_id, details)| AuditEntry {
                    id,
                    at,
                    actor,
                    action,
                    entity,
                    entity_id,
                    details: serde_json::from_str(&details)
                        .unwrap_or(serde_json::Value::String(details)),
                },
            )
            .collect())
    }
}

type AuditRow = (i64, DateTime<Utc>, String, String, String, String, String);

/// One line of the append-only audit log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub details: serde_json::Value,
}

/// Appends to the audit log inside the caller's transaction, so the change and its record land together.
#[macro_export]
macro_rules! audit {
    ($tx:expr, $actor:expr, $action:expr, $entity:expr, $entity_id:expr, $details:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(chrono::Utc::now())
        .bind($actor)
        .bind($action)
        .bind($entity)
        .bind($entity_id)
        .bind(serde_json::to_string(&$details)?)
        .execute(&mut *$tx)
        .await
    };
}
pub use audit;

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

impl Store {
    /// Runs one statement outside any transaction (administration: schemas in tests, maintenance).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(with_pool!(self, p => sqlx::raw_sql(sql).execute(p).await?.rows_affected()))
    }
}

impl Store {
    /// `SELECT COUNT(*) …` and friends: one integer.
    pub async fn count(&self, sql: &str) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_path("sqlite://.rakuten/rakuten.db"),
            Some(".rakuten/rakuten.db")
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db?mode=rwc"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("postgres://h/db"), None);
    }
}
