//! Budgets, rate limits and concurrency caps, kept in memory per key, team and user.
//!
//! Every check is a short critical section on one entity's counters; nothing touches the
//! database. Spend is added when a call ends, so a budget can be overspent by at most the calls
//! already in flight when it was reached.

mod duration;

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

pub use duration::{BudgetDuration, parse_duration};

/// The live counters of one key, team or user.
#[derive(Debug, Default)]
pub struct Counters {
    spend: Mutex<SpendState>,
    requests: Mutex<Window>,
    tokens: Mutex<Window>,
    in_flight: AtomicU64,
}

#[derive(Debug, Default, Clone, Copy)]
struct SpendState {
    spend: f64,
    reset_at: Option<DateTime<Utc>>,
}

/// A fixed one-minute window aligned on the wall clock, as LiteLLM's limiter uses.
#[derive(Debug, Default)]
struct Window {
    minute: u64,
    count: u64,
}

impl Window {
    fn current(&mut self, minute: u64) -> &mut u64 {
        if self.minute != minute {
            self.minute = minute;
            self.count = 0;
        }
        &mut self.count
    }
}

/// Seconds until the current minute window ends (for `retry-after`).
pub fn seconds_to_next_minute(now: DateTime<Utc>) -> u64 {
    60 - (now.timestamp().rem_euclid(60) as u64)
}

fn minute_of(now: DateTime<Utc>) -> u64 {
    (now.timestamp().max(0) as u64) / 60
}

/// What a budget reset changed: the new spend (zero) and the next reset time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reset {
    pub next_reset_at: Option<DateTime<Utc>>,
}

impl Counters {
    pub fn new(spend: f64, reset_at: Option<DateTime<Utc>>) -> Self {
        Self { spend: Mutex::new(SpendState { spend, reset_at }), ..Default::default() }
    }

    pub fn spend(&self) -> f64 {
        self.spend.lock().spend
    }

    pub fn reset_at(&self) -> Option<DateTime<Utc>> {
        self.spend.lock().reset_at
    }

    pub fn add_spend(&self, cost: f64) {
        self.spend.lock().spend += cost;
    }

    /// Sets the spend (admin updates) and, optionally, the next reset time.
    pub fn set_spend(&self, spend: f64, reset_at: Option<DateTime<Utc>>) {
        *self.spend.lock() = SpendState { spend, reset_at };
    }

    /// Zeroes the spend if its budget period is over; returns the reset to persist.
    pub fn roll_budget(&self, duration: Option<&BudgetDuration>, now: DateTime<Utc>) -> Option<Reset> {
        let mut s = self.spend.lock();
        let due = s.reset_at.is_some_and(|at| at <= now);
        if !due {
            return None;
        }
        s.spend = 0.0;
        s.reset_at = duration.map(|d| d.next_after(now));
        Some(Reset { next_reset_at: s.reset_at })
    }

    /// Counts one request in the current minute unless that would pass `limit`.
    pub fn try_request(&self, limit: u64, now: DateTime<Utc>) -> bool {
        let mut w = self.requests.lock();
        let count = w.current(minute_of(now));
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }

    /// Takes back a request counted by `try_request` (another limit refused the call).
    pub fn undo_request(&self, now: DateTime<Utc>) {
        let mut w = self.requests.lock();
        let count = w.current(minute_of(now));
        *count = count.saturating_sub(1);
    }

    /// Whether this minute's tokens already reached `limit`.
    pub fn tokens_exhausted(&self, limit: u64, now: DateTime<Utc>) -> bool {
        *self.tokens.lock().current(minute_of(now)) >= limit
    }

    pub fn requests_this_minute(&self, now: DateTime<Utc>) -> u64 {
        *self.requests.lock().current(minute_of(now))
    }

    pub fn tokens_this_minute(&self, now: DateTime<Utc>) -> u64 {
        *self.tokens.lock().current(minute_of(now))
    }

    pub fn add_tokens(&self, tokens: u64, now: DateTime<Utc>) {
        *self.tokens.lock().current(minute_of(now)) += tokens;
    }

    /// Whether a call was charged here since the gateway started (every finished call adds its
    /// tokens, none or some, which dates the token window).
    pub fn called_since_start(&self) -> bool {
        self.tokens.lock().minute != 0
    }

    /// Enters one call unless `limit` calls are already in flight.
    pub fn try_enter(&self, limit: u64) -> bool {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if before >= limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    pub fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_call_charged_dates_the_counters() {
        let c = Counters::default();
        assert!(!c.called_since_start());
        c.add_tokens(0, at("2026-01-01T00:00:10Z"));
        assert!(c.called_since_start(), "a call without tokens counts too");
    }

    #[test]
    fn request_window_is_per_minute_and_exact_under_threads() {
        let c = Arc::new(Counters::default());
        let now = at("2026-01-01T00:00:10Z");
        let admitted: usize = (0..8)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..100).filter(|_| c.try_request(50, now)).count())
            })
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(admitted, 50);
        assert!(c.try_request(50, at("2026-01-01T00:01:00Z")), "a new minute starts from zero");
        assert_eq!(seconds_to_next_minute(now), 50);
    }

    #[test]
    fn parallel_cap() {
        let c = Counters::default();
        assert!(c.try_enter(2) && c.try_enter(2));
        assert!(!c.try_enter(2));
        c.leave();
        assert!(c.try_enter(2));
        assert_eq!(c.in_flight(), 2);
        assert!(!Counters::default().try_enter(0), "max_parallel_requests 0 blocks every call");
    }

    #[test]
    fn budget_rolls_over_when_due() {
        let d = parse_duration("30s").unwrap();
        let c = Counters::new(5.0, Some(at("2026-01-01T00:00:30Z")));
        assert_eq!(c.roll_budget(Some(&d), at("2026-01-01T00:00:29Z")), None);
        let reset = c.roll_budget(Some(&d), at("2026-01-01T00:00:31Z")).unwrap();
        assert_eq!(c.spend(), 0.0);
        assert_eq!(reset.next_reset_at, Some(at("2026-01-01T00:01:01Z")));
    }

    #[test]
    fn tokens_per_minute() {
        let c = Counters::default();
        let now = at("2026-01-01T00:00:00Z");
        assert!(!c.tokens_exhausted(100, now));
        c.add_tokens(100, now);
        assert!(c.tokens_exhausted(100, now));
    }
}
