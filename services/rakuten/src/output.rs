//! How commands report: one JSON document on stdout with `--json`, a readable summary otherwise.

use serde::Serialize;

pub fn emit<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", human(value));
    }
    Ok(())
}

/// Progress of a long step on stderr: on a terminal, one line redrawn in place (a bar, the count, the elapsed
/// time and a message; at most ten redraws a second); otherwise, or with `--json`, plain lines at milestones
/// only ([`Progress::line`]), so logs and captured output stay one event per line.
pub struct Progress {
    label: String,
    redraw: bool,
    started: std::time::Instant,
    last_draw: Option<std::time::Instant>,
}

impl Progress {
    pub fn new(label: impl Into<String>, json: bool) -> Self {
        use std::io::IsTerminal;
        Self::with_redraw(label, !json && std::io::stderr().is_terminal())
    }

    pub fn with_redraw(label: impl Into<String>, redraw: bool) -> Self {
        Self {
            label: label.into(),
            redraw,
            started: std::time::Instant::now(),
            last_draw: None,
        }
    }

    /// The bar for `done` of `total` with a message; drawn on a terminal only, and not more often than 10 Hz.
    pub fn update(&mut self, done: u64, total: u64, message: &str) {
        if !self.redraw {
            return;
        }
        let now = std::time::Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now.duration_since(t).as_millis() < 100)
            && done < total
        {
            return;
        }
        self.last_draw = Some(now);
        eprint!("\r\x1b[2K{}", self.render(done, total, message));
    }

    /// A milestone: its own line, on a terminal above the bar, elsewhere as a plain line.
    pub fn line(&mut self, message: &str) {
        if self.redraw {
            eprint!("\r\x1b[2K");
        }
        eprintln!(
            "{} {:>6.1}s {message}",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
        self.last_draw = None;
    }

    /// Clears the bar (the command's summary follows on stdout).
    pub fn finish(&mut self) {
        if self.redraw {
            eprint!("\r\x1b[2K");
        }
    }

    fn render(&self, done: u64, total: u64, message: &str) -> String {
        const WIDTH: u64 = 24;
        let filled = (done.min(total) * WIDTH).checked_div(total).unwrap_or(0) as usize;
        format!(
            "{} [{}{}] {done}/{total} {:.1}s {message}",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH as usize - filled),
            self.started.elapsed().as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    #[test]
    fn bar_shows_the_fraction_done() {
        let p = Progress::with_redraw("training", true);
        let line = p.render(6, 24, "epoch 2");
        assert!(
            line.starts_with("training [######..................] 6/24 "),
            "{line}"
        );
        assert!(line.ends_with(" epoch 2"), "{line}");
        assert!(
            p.render(0, 0, "")
                .contains("[........................] 0/0")
        );
        assert!(p.render(30, 24, "").contains(&"#".repeat(24)));
    }
}
