//! Change notification: the inference service waits here for a new Production version instead of polling
//! only. PostgreSQL delivers a NOTIFY at commit; on SQLite the watcher compares the model's `generation`, a
//! counter bumped by every stage or alias change, at a short interval. Both fall back to the periodic check.

use std::time::Duration;

use data::store::Pool;
use data::with_pool;
use sqlx::postgres::PgListener;

use crate::Registry;
use crate::error::Result;

/// The PostgreSQL channel; payload `name:generation`.
pub const CHANNEL: &str = "rakuten_model_changed";

pub struct Watcher {
    registry: Registry,
    name: String,
    listener: Option<PgListener>,
    poll: Duration,
    seen: i64,
}

impl Registry {
    /// The model's change counter (0 when the model does not exist yet).
    pub async fn generation(&self, name: &str) -> Result<i64> {
        let g: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT generation FROM registered_models WHERE name = $1").bind(name).fetch_optional(p).await?
        });
        Ok(g.unwrap_or(0))
    }

    /// Announces the model's current state to watchers again (PostgreSQL NOTIFY with the current generation;
    /// on SQLite watchers poll the generation, which every change already bumped). Returns the generation.
    /// Watchers that have seen this generation stay asleep: the announcement wakes only those that missed it.
    pub async fn announce(&self, name: &str) -> Result<i64> {
        let generation = self.generation(name).await?;
        if let Pool::Postgres(pg) = self.store.pool() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{name}:{generation}"))
                .execute(pg)
                .await?;
        }
        Ok(generation)
    }

    /// A watcher for changes of `name`, starting from its current generation.
    pub async fn watch(&self, name: &str, poll: Duration) -> Result<Watcher> {
        let listener = match self.store.pool() {
            Pool::Postgres(pg) => {
                let mut l = PgListener::connect_with(pg).await?;
                l.listen(CHANNEL).await?;
                Some(l)
            }
            Pool::Sqlite(_) => None,
        };
        let seen = self.generation(name).await?;
        Ok(Watcher {
            registry: self.clone(),
            name: name.into(),
            listener,
            poll,
            seen,
        })
    }
}

impl Watcher {
    /// Waits until the model changes; returns the new generation. Never misses a change that committed
    /// after the watcher was made: each wake-up re-reads the generation.
    pub async fn changed(&mut self) -> Result<i64> {
        loop {
            let current = self.registry.generation(&self.name).await?;
            if current != self.seen {
                self.seen = current;
                return Ok(current);
            }
            match &mut self.listener {
                Some(l) => {
                    // A notification for any model wakes us; the generation check above filters. A broken
                    // listener must not spin: on error, wait the poll interval (sqlx reconnects on the next recv).
                    if let Ok(Err(e)) = tokio::time::timeout(self.poll, l.recv()).await {
                        tracing::warn!(error = %e, "change listener failed; polling");
                        tokio::time::sleep(self.poll).await;
                    }
                }
                None => tokio::time::sleep(self.poll).await,
            }
        }
    }
}
