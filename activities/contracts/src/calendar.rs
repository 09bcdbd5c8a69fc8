//! Calendar arithmetic on Unix time, without a time library, so that workflow code (which must be
//! deterministic and takes its clock from the Temporal history) can name batches and workflow ids by date.

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO 8601 (year, week) of the UTC day containing `unix_seconds`.
pub fn iso_week(unix_seconds: i64) -> (i32, u32) {
    let days = unix_seconds.div_euclid(86_400);
    // 1970-01-01 was a Thursday; ISO weekday 1 = Monday.
    let weekday = (days + 3).rem_euclid(7) + 1;
    // The ISO year is the year of this week's Thursday.
    let thursday = days - weekday + 4;
    let (year, _, _) = civil_from_days(thursday);
    let jan1 = days_from_civil(year, 1, 1);
    let week = ((thursday - jan1) / 7 + 1) as u32;
    (year, week)
}

/// `YYYY-MM-DD` of the UTC day containing `unix_seconds`.
pub fn utc_date(unix_seconds: i64) -> String {
    let (y, m, d) = civil_from_days(unix_seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, TimeZone, Utc};

    #[test]
    fn agrees_with_chrono_over_four_centuries_of_days() {
        let start = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap();
        for offset in (0..146_097 + 800).step_by(3) {
            let date = start + chrono::Duration::days(offset);
            let secs = Utc
                .from_utc_datetime(&date.and_hms_opt(13, 5, 0).unwrap())
                .timestamp();
            let iso = date.iso_week();
            assert_eq!(iso_week(secs), (iso.year(), iso.week()), "{date}");
            assert_eq!(utc_date(secs), date.format("%Y-%m-%d").to_string());
            let days = secs.div_euclid(86_400);
            assert_eq!(days_from_civil(date.year(), date.month(), date.day()), days);
        }
    }

    #[test]
    fn week_boundaries() {
        // Sunday 2026-11-29 23:59:59 UTC is in W48; Monday 2026-11-30 00:00 starts W49.
        let monday = days_from_civil(2026, 11, 30) * 86_400;
        assert_eq!(iso_week(monday - 1), (2026, 48));
        assert_eq!(iso_week(monday), (2026, 49));
        // 2027-01-01 is a Friday: it belongs to 2026-W53.
        assert_eq!(iso_week(days_from_civil(2027, 1, 1) * 86_400), (2026, 53));
    }
}
