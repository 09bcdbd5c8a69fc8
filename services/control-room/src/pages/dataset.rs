//! Dataset: loaded vs pool vs holdout, the class distribution, the batch history, dataset versions, and a
//! searchable, paged viewer of the loaded products.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{action_button, urlencode};
use crate::layout::{self, Viewer, pct, short, when};
use crate::{App, charts, queries};

#[derive(Deserialize, Default)]
pub struct SampleQuery {
    q: Option<String>,
    class: Option<String>,
    after: Option<String>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Query(sq): Query<SampleQuery>,
) -> Response {
    let search =
        sq.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect::<String>());
    let class = sq
        .class
        .as_deref()
        .and_then(|c| c.trim().parse::<i64>().ok());
    let after = sq.after.as_deref().and_then(|a| a.parse::<i64>().ok());
    let (counts, dist, batches, versions, products) = tokio::join!(
        queries::counts(&app.store),
        queries::class_distribution(&app.store),
        app.store.load_batches(),
        app.store.dataset_versions(),
        queries::products(&app.store, search.as_deref(), class, after),
    );
    let counts = counts.unwrap_or_default();
    let dist = dist.unwrap_or_default();
    let rows: Vec<(String, Vec<f64>)> = dist
        .iter()
        .map(|(code, pool, loaded, holdout)| {
            (
                code.to_string(),
                vec![*pool as f64, *loaded as f64, *holdout as f64],
            )
        })
        .collect();
    let body = html! {
        h1 { "Dataset" }
        (layout::figures(&[
            ("Pool rows", counts.pool_rows.to_string()),
            ("Loaded rows", format!("{} ({})", counts.loaded_rows, pct(counts.percent_loaded()))),
            ("Holdout rows (fixed)", counts.holdout_rows.to_string()),
            ("Classes", dist.len().to_string()),
        ]))
        div.actions { (action_button(&viewer, "ingest", &[], "Load the next batch now")) }
        h2 { "Class distribution" }
        @if rows.is_empty() {
            p.notice { "Nothing imported yet: run rakuten data import." }
        } @else {
            (charts::bars("Rows per prdtypecode: pool, loaded, holdout", &["pool", "loaded", "holdout"], &rows, charts::int))
        }
        h2 { "Batch history" }
        @match &batches {
            Ok(bs) if !bs.is_empty() => table {
                thead { tr { th scope="col" { "Batch" } th scope="col" { "Kind" } th.num scope="col" { "Rows" } th.num scope="col" { "Loaded after" }
                             th scope="col" { "sha256" } th scope="col" { "Actor" } th scope="col" { "Finished" } } }
                tbody { @for b in bs.iter().rev() {
                    tr { td { (b.name) } td { (b.kind) } td.num { (b.rows) } td.num { (pct(b.percent_after)) }
                         td.mono title=(b.checksum) { (short(&b.checksum)) } td { (b.actor) } td { (when(&b.finished_at)) } }
                } }
            },
            Ok(_) => p.notice { "No batch loaded yet." },
            Err(e) => (layout::unavailable("Batches", &e.to_string())),
        }
        h2 { "Dataset versions" }
        @match &versions {
            Ok(vs) if !vs.is_empty() => table {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Strategy" } th.num scope="col" { "Loaded rows" } th scope="col" { "Last batch" }
                             th scope="col" { "sha256" } th scope="col" { "Created" } } }
                tbody { @for v in vs {
                    tr { td.mono { (v.id()) } td { (v.manifest.strategy.as_str()) } td.num { (v.manifest.loaded_rows) }
                         td { (v.manifest.last_batch.as_deref().unwrap_or("–")) } td.mono title=(v.sha256) { (short(&v.sha256)) } td { (when(&v.created_at)) } }
                } }
            },
            Ok(_) => p.notice { "No dataset version yet." },
            Err(e) => (layout::unavailable("Dataset versions", &e.to_string())),
        }
        h2 #sample { "Loaded products" }
        form.filters method="get" action="/dataset#sample" {
            label for="q" { "Designation contains" input #q type="search" name="q" value=(search.as_deref().unwrap_or("")); }
            label for="class" { "Class (prdtypecode)" input #class type="text" inputmode="numeric" name="class" value=(class.map(|c| c.to_string()).unwrap_or_default()); }
            button type="submit" { "Search" }
        }
        @match &products {
            Ok(ps) => {
                @let shown = &ps[..ps.len().min(queries::PAGE as usize)];
                @if shown.is_empty() { p.notice { "No product matches." } } @else {
                    table {
                        thead { tr { th.num scope="col" { "productid" } th scope="col" { "Designation" } th scope="col" { "Description" } th.num scope="col" { "Class" } th scope="col" { "Batch" } } }
                        tbody { @for p in shown {
                            tr { td.num { (p.productid) } td { (p.designation) } td { (excerpt(&p.description)) } td.num { (p.prdtypecode) } td { (p.batch) } }
                        } }
                    }
                }
                div.pager {
                    @if after.is_some() {
                        a href=(format!("/dataset?q={}&class={}#sample", urlencode(search.as_deref().unwrap_or("")), class.map(|c| c.to_string()).unwrap_or_default())) { "First page" }
                    }
                    @if ps.len() as i64 > queries::PAGE {
                        @if let Some(last) = shown.last() {
                            a href=(format!("/dataset?q={}&class={}&after={}#sample", urlencode(search.as_deref().unwrap_or("")), class.map(|c| c.to_string()).unwrap_or_default(), last.productid)) { "Next page" }
                        }
                    }
                }
            }
            Err(e) => (layout::unavailable("Products", &e.to_string())),
        }
    };
    layout::page(&viewer, "Dataset", "/dataset", None, body).into_response()
}

/// The description's first 160 characters as people read it (markup dropped, entities decoded; escaped on
/// output like any text).
fn excerpt(raw: &str) -> String {
    let s = model::prepare::readable_text(raw);
    let mut out: String = s.chars().take(160).collect();
    if s.chars().count() > 160 {
        out.push('…');
    }
    out
}
