//! LiteLLM's duration grammar: `30s`, `30m`, `30h`, `30d`, `2w`, `1mo`, and `hourly`, `daily`,
//! `weekly`, `monthly`.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetDuration {
    Seconds(i64),
    Days(i64),
    Weeks(i64),
    Months(i64),
}

pub fn parse_duration(text: &str) -> Result<BudgetDuration, String> {
    let t = text.trim().to_ascii_lowercase();
    let named = match t.as_str() {
        "hourly" => Some(BudgetDuration::Seconds(3600)),
        "daily" => Some(BudgetDuration::Days(1)),
        "weekly" => Some(BudgetDuration::Weeks(1)),
        "monthly" => Some(BudgetDuration::Months(1)),
        _ => None,
    };
    if let Some(d) = named {
        return Ok(d);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n < 100_000)
        .ok_or_else(|| format!("'{text}' is not a duration (e.g. 30s, 30m, 24h, 7d, 2w, 1mo)"))?;
    match unit {
        "s" => Ok(BudgetDuration::Seconds(n)),
        "m" => Ok(BudgetDuration::Seconds(n * 60)),
        "h" => Ok(BudgetDuration::Seconds(n * 3600)),
        "d" => Ok(BudgetDuration::Days(n)),
        "w" => Ok(BudgetDuration::Weeks(n)),
        "mo" => Ok(BudgetDuration::Months(n)),
        _ => Err(format!("'{text}' has an unknown unit (s, m, h, d, w, mo)")),
    }
}

impl BudgetDuration {
    /// `now` plus the duration: when a key created now expires.
    pub fn after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            BudgetDuration::Seconds(s) => now + Duration::seconds(s),
            BudgetDuration::Days(d) => now + Duration::days(d),
            BudgetDuration::Weeks(w) => now + Duration::weeks(w),
            BudgetDuration::Months(m) => add_months(now, m),
        }
    }

    /// The next budget reset: short periods run from now; days reset at midnight UTC, weeks on
    /// Monday, months on the 1st, as LiteLLM aligns them.
    pub fn next_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let midnight = |t: DateTime<Utc>| Utc.from_utc_datetime(&t.date_naive().and_time(NaiveTime::MIN));
        match *self {
            BudgetDuration::Seconds(s) => now + Duration::seconds(s),
            BudgetDuration::Days(d) => midnight(now) + Duration::days(d),
            BudgetDuration::Weeks(w) => {
                let days_to_monday = 7 - now.weekday().num_days_from_monday() as i64;
                midnight(now) + Duration::days(days_to_monday) + Duration::weeks(w - 1)
            }
            BudgetDuration::Months(m) => {
                let first = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
                add_months(first, m)
            }
        }
    }
}

fn add_months(t: DateTime<Utc>, months: i64) -> DateTime<Utc> {
    let total = t.year() as i64 * 12 + (t.month0() as i64) + months;
    let (year, month0) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32);
    let day = t.day().min(days_in_month(year, month0 + 1));
    t.with_day(1)
        .and_then(|x| x.with_year(year))
        .and_then(|x| x.with_month(month0 + 1))
        .and_then(|x| x.with_day(day))
        .unwrap_or(t)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    Utc.with_ymd_and_hms(next.0, next.1, 1, 0, 0, 0).single().map(|d| (d - Duration::days(1)).day()).unwrap_or(28)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn grammar() {
        assert_eq!(parse_duration("30s"), Ok(BudgetDuration::Seconds(30)));
        assert_eq!(parse_duration("30m"), Ok(BudgetDuration::Seconds(1800)));
        assert_eq!(parse_duration("1h"), Ok(BudgetDuration::Seconds(3600)));
        assert_eq!(parse_duration("7d"), Ok(BudgetDuration::Days(7)));
        assert_eq!(parse_duration("2w"), Ok(BudgetDuration::Weeks(2)));
        assert_eq!(parse_duration("1mo"), Ok(BudgetDuration::Months(1)));
        assert_eq!(parse_duration("daily"), Ok(BudgetDuration::Days(1)));
        for bad in ["", "x", "10y", "-1d", "0s", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resets_align_like_litellm() {
        let now = at("2026-11-26T15:20:00Z"); // a Thursday
        assert_eq!(parse_duration("1d").unwrap().next_after(now), at("2026-11-27T00:00:00Z"));
        assert_eq!(parse_duration("1w").unwrap().next_after(now), at("2026-11-30T00:00:00Z"));
        assert_eq!(parse_duration("1mo").unwrap().next_after(now), at("2026-12-01T00:00:00Z"));
        assert_eq!(parse_duration("1mo").unwrap().after(at("2026-01-31T00:00:00Z")), at("2026-02-28T00:00:00Z"));
        assert_eq!(parse_duration("1h").unwrap().next_after(now), at("2026-11-26T16:20:00Z"));
    }
}
