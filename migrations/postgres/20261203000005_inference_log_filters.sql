-- The control room's prediction history filters by class and by model version, newest first, one page at a time:
-- each filter reads its own index from the newest row backwards instead of scanning the log.
CREATE INDEX inference_log_class_at ON inference_log (predicted_class, at);
CREATE INDEX inference_log_version_at ON inference_log (model_version, at);
