//! Points in time on the command line: an RFC 3339 instant, a date, or a duration relative to
//! now (forward for expiries, backward for query bounds). Durations are read in the core's one
//! grammar (`30m`, `2h`, `7d`, `1h30m`); jiff's calendar spans (`1mo`, `2 weeks`, `P1D`), which
//! have no fixed length, are still taken after it, as before.

use cutover_core::Timestamp;
use jiff::tz::TimeZone;

/// A time as typed, resolved against "now" only when the command runs.
#[derive(Debug, Clone)]
pub(crate) enum When {
    At(Timestamp),
    In(jiff::Span),
}

impl When {
    pub(crate) fn parse(text: &str) -> Result<When, String> {
        let t = text.trim();
        if let Ok(ts) = t.parse::<Timestamp>() {
            return Ok(When::At(ts));
        }
        if let Ok(date) = t.parse::<jiff::civil::Date>()
            && let Ok(zoned) = date.to_zoned_datetime(TimeZone::UTC)
        {
            return Ok(When::At(zoned.timestamp()));
        }
        if let Ok(d) = cutover_core::duration::parse_duration(t)
            && let Ok(span) = jiff::Span::try_from(d)
        {
            return Ok(When::In(span));
        }
        if let Ok(span) = t.parse::<jiff::Span>() {
            return Ok(When::In(span));
        }
        Err(format!(
            "invalid time {text:?}; accepted: an RFC 3339 time (2026-12-01T09:00:00Z), a date \
             (2026-12-01, midnight UTC) or a duration such as 30m, 2h, 7d"
        ))
    }

    /// The instant this names when it means a time after `now` (an expiry).
    pub(crate) fn after(&self, now: Timestamp) -> anyhow::Result<Timestamp> {
        self.resolve(now, 1)
    }

    /// The instant this names when it means a time before `now` (a query bound).
    pub(crate) fn before(&self, now: Timestamp) -> anyhow::Result<Timestamp> {
        self.resolve(now, -1)
    }

    /// A query bound that may not be given: [`When::before`] of it when it is.
    pub(crate) fn bound(when: Option<&When>, now: Timestamp) -> anyhow::Result<Option<Timestamp>> {
        when.map(|w| w.before(now)).transpose()
    }

    fn resolve(&self, now: Timestamp, sign: i64) -> anyhow::Result<Timestamp> {
        match self {
            When::At(ts) => Ok(*ts),
            When::In(span) => {
                let span = if sign < 0 { span.negate() } else { *span };
                Ok(now
                    .to_zoned_datetime(TimeZone::UTC)
                    .checked_add(span)?
                    .timestamp())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_instants_dates_and_durations() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |s: &str| When::parse(s).unwrap().after(now).unwrap().as_second();
        assert_eq!(at("2027-01-15T08:00:00Z"), 1_800_000_000);
        assert_eq!(at("2h"), 1_800_007_200);
        assert_eq!(at("7d"), 1_800_604_800);
        assert_eq!(
            When::parse("1d").unwrap().before(now).unwrap().as_second(),
            1_799_913_600
        );
        assert_eq!(at("2027-01-15"), 1_799_971_200);
        // The core's grammar, and jiff's calendar and long forms as before.
        assert_eq!(at("1h30m"), 1_800_005_400);
        assert_eq!(at("1.5h"), 1_800_005_400);
        assert_eq!(at("2 hours"), 1_800_007_200);
        assert_eq!(at("P1D"), 1_800_086_400);
        assert_eq!(at("1w"), 1_800_604_800);
        assert_eq!(at("1mo"), 1_802_678_400);
        let err = When::parse("next tuesday").unwrap_err();
        assert!(
            err.contains("\"next tuesday\"") && err.contains("7d"),
            "{err}"
        );
    }
}
