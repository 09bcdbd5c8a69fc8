#!/usr/bin/env python3
"""Writes the Grafana dashboards of dashboards/ (JSON, the format Grafana provisions) from the panel lists below.

    python3 dashboards/generate.py           # write the JSON files
    python3 dashboards/generate.py --check   # fail when a JSON file differs from what this script writes
    python3 dashboards/generate.py --ts OUT  # write OUT: every dashboard as a TypeScript literal that
                                             # `satisfies Dashboard` (@grafana/schema), for `tsc --strict`

Every panel's query is evaluated against a real Prometheus in CI (services/rakuten/tests/observability.rs):
`$__rate_interval` and `$__range` are the only Grafana variables the queries use, besides the data source.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def target(expr, legend="", ref="A", instant=False):
    return {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
        "range": not instant,
        "instant": instant,
    }


def panel(title, kind, targets, x, y, w, h, unit="short", description="", options=None, custom=None,
          decimals=None, max_value=None):
    refs = "ABCDEFGH"
    defaults = {"unit": unit}
    if decimals is not None:
        defaults["decimals"] = decimals
    if max_value is not None:
        defaults["max"] = max_value
        defaults["min"] = 0
    if custom:
        defaults["custom"] = custom
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options or {},
        # (expr, legend) or (expr, legend, instant)
        "targets": [target(t[0], t[1], refs[i], len(t) > 2 and t[2]) for i, t in enumerate(targets)],
    }
    return p


def timeseries(title, targets, x, y, w=12, h=8, unit="short", description="", stack=False, bars=False):
    custom = {"drawStyle": "bars" if bars else "line", "fillOpacity": 20 if stack or bars else 10,
              "lineWidth": 1, "showPoints": "never"}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    return panel(title, "timeseries", targets, x, y, w, h, unit, description,
                 options={"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                          "tooltip": {"mode": "multi", "sort": "desc"}},
                 custom=custom)


def stat(title, expr, x, y, w=4, h=4, unit="short", description="", legend="", decimals=None):
    return panel(title, "stat", [(expr, legend, True)], x, y, w, h, unit, description,
                 options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                          "colorMode": "value", "graphMode": "area", "textMode": "auto"},
                 decimals=decimals)


def bars(title, expr, legend, x, y, w=12, h=8, unit="short", description="", max_value=None):
    return panel(title, "bargauge", [(expr, legend, True)], x, y, w, h, unit, description,
                 options={"displayMode": "gradient", "orientation": "horizontal",
                          "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                          "showUnfilled": True},
                 max_value=max_value)


def table(title, expr, x, y, w=12, h=8, description=""):
    p = panel(title, "table", [(expr, "", True)], x, y, w, h, "short", description,
              options={"showHeader": True})
    p["targets"][0]["format"] = "table"
    return p


def dashboard(uid, title, description, panels, tags):
    for i, p in enumerate(panels, start=1):
        p["id"] = i
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["rakuten"] + tags,
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "utc",
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [],
        "annotations": {"list": []},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "Prometheus", "value": "rakuten-prometheus"},
                    "hide": 0,
                    "refresh": 1,
                    "options": [],
                }
            ]
        },
        "panels": panels,
    }


LATENCY = 'histogram_quantile({q}, sum by (le) (rate(rakuten_prediction_latency_seconds_bucket{{kind="single"}}[$__rate_interval])))'

SERVING = dashboard(
    "rakuten-serving",
    "Rakuten · predictions",
    "The inference service as the original system's operators watched it: predictions over time and by class, "
    "latency quantiles, text lengths, errors, the model version served, and drift.",
    [
        timeseries("Predictions over time",
                   [("sum(rate(rakuten_predictions_total[$__rate_interval]))", "predictions/s")],
                   0, 0, unit="reqps", description="Predictions served per second (REST and gRPC, single and batch items)."),
        timeseries("Predictions by class",
                   [("sum by (prdtypecode) (rate(rakuten_predictions_total[$__rate_interval]))", "{{prdtypecode}}")],
                   12, 0, unit="reqps", stack=True,
                   description="Predicted prdtypecode, stacked: a class taking over is often the first sign of drift."),
        timeseries("Latency p50 / p95 / p99 (single predictions)",
                   [(LATENCY.format(q="0.50"), "p50"), (LATENCY.format(q="0.95"), "p95"),
                    (LATENCY.format(q="0.99"), "p99")],
                   0, 8, unit="s", description="Validate, predict and log one product; SLO: p99 under 50 ms."),
        panel("Text length distribution", "bargauge",
              [("sum by (le) (increase(rakuten_text_len_chars_bucket[$__range]))", "≤ {{le}} chars", True)],
              12, 8, 12, 8, "short",
              "Characters of designation + description per prediction over the dashboard's time range "
              "(cumulative buckets).",
              options={"displayMode": "basic", "orientation": "horizontal",
                       "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}),
        timeseries("Error rate by type",
                   [("sum by (error_type) (rate(rakuten_api_errors_total[$__rate_interval]))", "{{error_type}}"),
                    ("sum by (outcome) (rate(rakuten_requests_total{outcome!=\"ok\"}[$__rate_interval]))", "{{outcome}}")],
                   0, 16, unit="reqps",
                   description="Refused or failed requests by error type; client errors are bad input, server errors ours."),
        stat("Server error ratio (5m)", "rakuten:request_errors:ratio_rate5m", 12, 16, w=4, unit="percentunit",
             description="Server errors over all prediction requests (recording rule); alert above 5 %."),
        table("Model version served", "max by (instance, name, version, stage) (rakuten_model_info)", 16, 16, w=8, h=4,
              description="Which version each inference service has loaded, and its registry stage."),
        stat("Last drift share", "max(rakuten_drift_share_ratio)", 12, 20, w=4, unit="percentunit",
             description="Share of monitored columns that drifted in the last daily check."),
        stat("Model loaded at", "max(rakuten_model_load_timestamp_seconds) * 1000", 16, 20, w=8, unit="dateTimeAsIso",
             description="When the served model was (hot-)loaded."),
    ],
    ["serving"],
)

WORKFLOW_DONE = 'sum by (workflow_type) (increase(temporal_workflow_completed_total[$__range]))'
WORKFLOW_FAILED = 'sum by (workflow_type) (increase(temporal_workflow_failed_total[$__range]))'

LIFECYCLE = dashboard(
    "rakuten-lifecycle",
    "Rakuten · lifecycle",
    "Data, training, promotion and drift: what the weekly and daily workflows did.",
    [
        stat("Loaded", "max(rakuten_dataset_loaded_percent)", 0, 0, unit="percent", decimals=1,
             description="Rows loaded as a share of the source pool (40 % at first, +3 % a week)."),
        stat("Loaded rows", "max(rakuten_dataset_loaded_rows)", 4, 0),
        stat("Production version", "max(rakuten_model_production_version)", 8, 0, legend="v"),
        stat("Production holdout F1", "max(rakuten_model_production_holdout_f1)", 12, 0, unit="percentunit",
             decimals=2),
        stat("Live F1 (last batch)", "max(rakuten_model_live_f1)", 16, 0, unit="percentunit", decimals=2,
             description="The Production model on the newest batch, scored before training on it."),
        stat("Promotions / rollbacks", "max(rakuten_model_promotions_total)", 20, 0,
             description="Versions moved to Production (rollbacks included)."),
        timeseries("Loaded percent over time", [("max(rakuten_dataset_loaded_percent)", "loaded %")], 0, 4,
                   unit="percent"),
        bars("Holdout F1 by version", "max by (version) (rakuten_model_version_holdout_f1)", "v{{version}}",
             12, 4, unit="percentunit", max_value=1,
             description="Every registered version scored on the same fixed holdout."),
        timeseries("Live F1 by week vs holdout F1",
                   [("max(rakuten_model_live_f1)", "live F1 (newest batch)"),
                    ("max(rakuten_model_live_holdout_f1)", "holdout F1 of the same version"),
                    ("rakuten:live_f1_gap", "gap (recording rule)")],
                   0, 12, unit="percentunit",
                   description="Alert when the live F1 falls more than 0.05 below the holdout F1."),
        timeseries("Drift share over time",
                   [("max(rakuten_drift_share_ratio)", "drifted share"),
                    ("max(rakuten_drift_share_threshold_ratio)", "retrain threshold")],
                   12, 12, unit="percentunit"),
        bars("Drift score by column (last check)", "max by (column) (rakuten_drift_column_score)", "{{column}}",
             0, 20, description="Each monitored column's test statistic in the last drift check."),
        timeseries("Workflow outcomes",
                   [(WORKFLOW_DONE, "{{workflow_type}} completed"), (WORKFLOW_FAILED, "{{workflow_type}} failed")],
                   12, 20, bars=True,
                   description="Workflow runs that finished on this worker over the dashboard's range (Temporal SDK)."),
        timeseries("Training duration (mean per run)",
                   [("sum(increase(rakuten_training_duration_seconds_sum[$__range])) / sum(increase(rakuten_training_duration_seconds_count[$__range]))",
                     "mean training time")],
                   0, 28, unit="s"),
        timeseries("Activity time by type",
                   [("sum by (activity) (increase(rakuten_activity_duration_seconds_sum[$__range]))", "{{activity}}")],
                   12, 28, unit="s", stack=True, bars=True,
                   description="Wall time the worker spent in each activity type over the dashboard's range."),
        timeseries("Activity executions by outcome",
                   [("sum by (activity, outcome) (increase(rakuten_activity_executions_total[$__range]))",
                     "{{activity}} {{outcome}}")],
                   0, 36, bars=True),
        timeseries("Training epochs (mean per run)",
                   [("sum(increase(rakuten_training_epochs_sum[$__range])) / sum(increase(rakuten_training_epochs_count[$__range]))",
                     "epochs")],
                   12, 36),
    ],
    ["lifecycle"],
)

SERVICE = dashboard(
    "rakuten-service",
    "Rakuten · service health",
    "Saturation and plumbing of the inference service and the worker: requests in flight, request outcomes, "
    "shed requests, model swaps, the inference log, and the Temporal worker's task slots.",
    [
        timeseries("Requests in flight", [("sum by (instance) (rakuten_requests_in_flight)", "{{instance}}")],
                   0, 0, description="Prediction requests being served right now (saturation)."),
        timeseries("Requests by outcome (recording rule)",
                   [("sum by (api, outcome) (rakuten:requests:rate5m)", "{{api}} {{outcome}}")],
                   12, 0, unit="reqps"),
        timeseries("Model swaps", [("sum by (instance) (changes(rakuten_model_load_timestamp_seconds[$__range]))", "{{instance}}"),
                                   ("sum(increase(rakuten_model_load_failures_total[$__range]))", "load failures")],
                   0, 8, bars=True, description="Hot swaps of the served model (a promotion or rollback reached the service)."),
        timeseries("Inference log",
                   [("sum(rate(rakuten_inference_log_written_total[$__rate_interval]))", "written/s"),
                    ("sum(rate(rakuten_inference_log_dropped_total[$__rate_interval]))", "dropped/s"),
                    ("sum(rate(rakuten_inference_log_journaled_total[$__rate_interval]))", "journaled/s")],
                   12, 8, unit="short",
                   description="Rows written to the database, spilled to the local journal, or lost."),
        timeseries("Worker task slots",
                   [("sum by (worker_type) (temporal_worker_task_slots_available)", "{{worker_type}} available"),
                    ("sum by (worker_type) (temporal_worker_task_slots_used)", "{{worker_type}} used")],
                   0, 16, description="The Temporal worker's free and busy slots for workflow and activity tasks."),
        timeseries("Activity latency (Temporal SDK, mean)",
                   [("sum by (activity_type) (increase(temporal_activity_execution_latency_seconds_sum[$__range])) / sum by (activity_type) (increase(temporal_activity_execution_latency_seconds_count[$__range]))",
                     "{{activity_type}}")],
                   12, 16, unit="s"),
        timeseries("Shed requests (overloaded, timed out)",
                   [('sum(rate(rakuten_api_errors_total{error_type=~"overloaded|timeout"}[$__rate_interval])) or vector(0)',
                     "refused/s")],
                   12, 24, unit="reqps",
                   description="Requests refused at once past --max-in-flight / --max-batch-items-in-flight, or "
                               "abandoned past --request-timeout (503 with Retry-After, RESOURCE_EXHAUSTED)."),
        stat("Inference log rows", "max(rakuten_inference_log_rows)", 0, 24, w=6),
        stat("Journal bytes waiting", "sum(rakuten_inference_log_journal_bytes)", 6, 24, w=6, unit="bytes"),
        timeseries("Shadow model agreement with Production",
                   [('sum by (version) (rate(rakuten_shadow_predictions_total{outcome="agree"}[$__rate_interval])) '
                     '/ sum by (version) (rate(rakuten_shadow_predictions_total[$__rate_interval]))', "shadow v{{version}}")],
                   0, 32, unit="percentunit",
                   description="Share of the products scored by the shadow version (rakuten models shadow) whose class "
                               "equals Production's; answers always come from Production."),
        timeseries("Shadow disagreements by Production class, and drops",
                   [("sum by (prdtypecode) (increase(rakuten_shadow_disagreements_total[$__range]))", "{{prdtypecode}}"),
                    ("sum(increase(rakuten_shadow_dropped_total[$__range])) or vector(0)", "dropped (queue full)")],
                   12, 32, bars=True,
                   description="Where the shadow version disagrees, by the class Production gave; products the "
                               "shadow's full queue dropped (never delaying an answer)."),
    ],
    ["service"],
)

DASHBOARDS = {
    "rakuten-serving.json": SERVING,
    "rakuten-lifecycle.json": LIFECYCLE,
    "rakuten-service.json": SERVICE,
}


def render(d):
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    if len(argv) > 1 and argv[1] == "--ts":
        out = Path(argv[2])
        lines = ['import type { Dashboard } from "@grafana/schema";', ""]
        for i, (name, d) in enumerate(DASHBOARDS.items()):
            text = (HERE / name).read_text()
            lines.append(f"// {name}")
            lines.append(f"export const dashboard{i} = {text.rstrip()} satisfies Dashboard;")
            lines.append("")
        out.write_text("\n".join(lines))
        return 0
    check = len(argv) > 1 and argv[1] == "--check"
    stale = []
    for name, d in DASHBOARDS.items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != render(d):
                stale.append(name)
        else:
            path.write_text(render(d))
    if stale:
        print(f"dashboards out of date (run python3 dashboards/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
