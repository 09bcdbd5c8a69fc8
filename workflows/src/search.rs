//! What the Temporal UI can filter the workflows by: custom search attributes set as a workflow learns them, and
//! a memo with a one-line summary. The dev servers (`rakuten up`, the tests) register [`SEARCH_ATTRIBUTES`]
//! with `--search-attribute`; another server needs `temporal operator search-attribute create` once per name.
//!
//! Queries, in the UI's search box or `temporal workflow list --query`: ``Decision = "promoted"``,
//! ``ModelVersion >= 3``, ``DatasetVersion = "ds-…"``, ``` `Trigger` = "drift" ``` (TRIGGER is a keyword of
//! the query language: quote that name with backticks).

use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};
use temporalio_sdk::{MemoValue, WorkflowContext};

/// Why the workflow runs: [`trigger`]'s values.
pub const TRIGGER: SearchAttributeKey<String> = SearchAttributeKey::keyword("Trigger");
/// The dataset version the workflow built or trained on.
pub const DATASET_VERSION: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("DatasetVersion");
/// The model version the workflow registered.
pub const MODEL_VERSION: SearchAttributeKey<i64> = SearchAttributeKey::int("ModelVersion");
/// The promotion decision: `promoted` or `not_promoted`.
pub const DECISION: SearchAttributeKey<String> = SearchAttributeKey::keyword("Decision");
/// Set by the server on runs a schedule starts (the schedule's id).
const SCHEDULED_BY: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("TemporalScheduledById");

/// Every custom attribute with its type, as `temporal server start-dev --search-attribute NAME=TYPE` takes them.
pub const SEARCH_ATTRIBUTES: [(&str, &str); 4] = [
    ("Trigger", "Keyword"),
    ("DatasetVersion", "Keyword"),
    ("ModelVersion", "Int"),
    ("Decision", "Keyword"),
];

/// The values of [`TRIGGER`].
pub mod trigger {
    /// Started by a schedule (`weekly-ingest`, `daily-drift`) or a child of such a run.
    pub const SCHEDULE: &str = "schedule";
    /// A retraining DailyDrift started on drift.
    pub const DRIFT: &str = "drift";
    /// A weekly training run with challengers because the live F1 fell below the holdout F1 by the margin.
    pub const LIVE_F1: &str = "live-f1";
    /// Started by a person: the CLI, `up`, the Temporal UI.
    pub const MANUAL: &str = "manual";
}

/// The run's trigger: the one its starter set, else `schedule` for a scheduled run, else `manual`. Recorded on
/// the run (so runs a schedule or the UI started carry it too) and returned for its children.
pub(crate) fn settle_trigger<W>(ctx: &WorkflowContext<W>) -> String {
    let attributes = ctx.search_attributes();
    let trigger = attributes.get(&TRIGGER).unwrap_or_else(|| {
        if attributes.get(&SCHEDULED_BY).is_some() {
            trigger::SCHEDULE.to_string()
        } else {
            trigger::MANUAL.to_string()
        }
    });
    ctx.upsert_search_attributes([TRIGGER.value_set(trigger.clone())]);
    trigger
}

/// The attributes a child run starts with: its trigger.
pub(crate) fn for_child(trigger: &str) -> SearchAttributes {
    SearchAttributes::new([TRIGGER.value_set(trigger.to_string())])
}

pub(crate) fn decision_value(promoted: bool) -> String {
    if promoted { "promoted" } else { "not_promoted" }.to_string()
}

/// Sets the memo's `summary`: one line on what the run did (the UI shows it with the run).
pub(crate) fn summarise<W>(ctx: &WorkflowContext<W>, summary: String) {
    // A string always converts; should a converter refuse, the run goes on without its summary.
    let _ = ctx.upsert_memo([("summary", Some(MemoValue::new(summary)))]);
}
