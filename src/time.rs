//! Dates and times as docker prints them and the state file records them:
//! RFC 3339 in UTC, with no dependency for so little.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as RFC 3339 (UTC, seconds).
pub(crate) fn now_rfc3339() -> String {
    rfc3339(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    )
}

/// Seconds since the epoch as RFC 3339 (UTC, seconds).
pub(crate) fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch of an RFC 3339 time such as docker prints
/// (`2026-11-28T19:00:00.123456789Z`); `None` for the zero time.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let num = |s: &str| s.parse::<i64>().ok();
    let (date, time) = text.split_once('T')?;
    let mut date = date.splitn(3, '-');
    let (y, m, d) = (num(date.next()?)?, num(date.next()?)?, num(date.next()?)?);
    if y < 1971 {
        return None;
    }
    let (h, mi, s) = (
        num(time.get(0..2)?)?,
        num(time.get(3..5)?)?,
        num(time.get(6..8)?)?,
    );
    let rest = &time[8..];
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest {
        "" | "Z" => 0,
        tz => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (num(tz.get(1..3)?)? * 3600 + num(tz.get(4..6)?)? * 60)
        }
    };
    Some(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s - offset)
}

// Howard Hinnant's civil date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), None);
        assert_eq!(
            parse_rfc3339("2026-11-28T19:00:00.123456789Z"),
            Some(1795892400)
        );
        assert_eq!(parse_rfc3339("2026-11-28T20:00:00+01:00"), Some(1795892400));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None);
        assert_eq!(rfc3339(1795892400), "2026-11-28T19:00:00Z");
        let now = now_rfc3339();
        let secs = parse_rfc3339(&now).unwrap();
        assert!(
            (secs
                - SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64)
                .abs()
                < 5
        );
    }
}
