//! Calendar names from Unix time, so that workflow code (which must be deterministic and takes its clock from
//! the Temporal history, never from the system) can name batches and workflow ids by date. chrono's calendar
//! arithmetic only: nothing here reads a clock.

use chrono::{DateTime, Datelike, Utc};

fn utc(unix_seconds: i64) -> DateTime<Utc> {
    // Out of chrono's range (±262,000 years) only by a broken clock: the epoch rather than a panic.
    DateTime::from_timestamp(unix_seconds, 0).unwrap_or_default()
}

/// ISO 8601 (year, week) of the UTC day containing `unix_seconds`.
pub fn iso_week(unix_seconds: i64) -> (i32, u32) {
    let week = utc(unix_seconds).iso_week();
    (week.year(), week.week())
}

/// `YYYY-MM-DD` of the UTC day containing `unix_seconds`.
pub fn utc_date(unix_seconds: i64) -> String {
    utc(unix_seconds).format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, s)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn week_boundaries() {
        // Sunday 2026-11-29 23:59:59 UTC is in W48; Monday 2026-11-30 00:00 starts W49.
        assert_eq!(iso_week(at(2026, 11, 29, 23, 59, 59)), (2026, 48));
        assert_eq!(iso_week(at(2026, 11, 30, 0, 0, 0)), (2026, 49));
        // 2027-01-01 is a Friday: it belongs to 2026-W53; 2024-12-30 (a Monday) to 2025-W01.
        assert_eq!(iso_week(at(2027, 1, 1, 12, 0, 0)), (2026, 53));
        assert_eq!(iso_week(at(2024, 12, 30, 0, 0, 0)), (2025, 1));
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(utc_date(at(2026, 11, 27, 23, 59, 59)), "2026-11-27");
        assert_eq!(utc_date(at(2026, 11, 28, 0, 0, 0)), "2026-11-28");
        assert_eq!(utc_date(-1), "1969-12-31");
    }
}
