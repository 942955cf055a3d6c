//! Durations as scenarios write them: `500ms`, `30s`, `5m`, `2h`, `1d`, and sums
//! such as `1h30m`. Inside the program a duration is a [`std::time::Duration`];
//! this module only parses and prints the text form, at the edges.
//!
//! The printed form is canonical: largest unit first, no zero parts, `0s` for
//! zero — so `90m`, `1h30m` and `5400s` all print as `1h30m`.

use std::fmt;
use std::time::Duration;

/// Units from the largest down, with their length in milliseconds.
const UNITS: [(&str, u128); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// The longest duration the language accepts: 30 days. A scenario, phase,
/// delay, `within`, timeout or template result longer than this is refused, so
/// that every offset of a plan, and every product of one with a speed or a
/// percentage, stays far inside `u64` milliseconds (docs/language.md).
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 86_400);

/// Why a text is not a duration. The message says how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a duration: {reason} (write e.g. 500ms, 30s, 5m, 2h, 1d or 1h30m)")]
pub struct DurationError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl DurationError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        Self {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `1d`, sums like `1h30m` (spaces between parts
/// are allowed) and decimals like `1.5h`. The result must be a whole number of
/// milliseconds.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    parse_duration_within(input, MAX_DURATION)
}

/// [`parse_duration`] with another limit than the language's [`MAX_DURATION`]:
/// for settings outside scenarios, such as an API token's life (up to 365 days).
pub fn parse_duration_within(input: &str, max: Duration) -> Result<Duration, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::new(input, "it is empty"));
    }
    if text.starts_with('-') {
        return Err(DurationError::new(input, "durations cannot be negative"));
    }
    // Work in nanoseconds so that decimals such as `1.5s` stay exact.
    let mut total_nanos: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() {
            return Err(DurationError::new(
                input,
                format!("expected a number at {:?}", rest),
            ));
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(&(_, unit_ms)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            let reason = if unit.is_empty() {
                format!("{number} has no unit")
            } else {
                format!("unknown unit {unit:?} (units are ms, s, m, h, d)")
            };
            return Err(DurationError::new(input, reason));
        };
        let part = scaled_nanos(number, unit_ms * 1_000_000)
            .ok_or_else(|| DurationError::new(input, format!("{number:?} is not a number")))?;
        total_nanos = total_nanos
            .checked_add(part)
            .ok_or_else(|| DurationError::new(input, "it is too long"))?;
    }
    if !total_nanos.is_multiple_of(1_000_000) {
        return Err(DurationError::new(
            input,
            "it is not a whole number of milliseconds",
        ));
    }
    let millis = u64::try_from(total_nanos / 1_000_000)
        .map_err(|_| DurationError::new(input, "it is too long"))?;
    let duration = Duration::from_millis(millis);
    if duration > max {
        return Err(DurationError::new(
            input,
            format!("it is longer than the limit of {}", format_duration(max)),
        ));
    }
    Ok(duration)
}

/// `number` (digits with at most one `.`) times `scale`, exactly; `None` if it is
/// not such a number, would overflow, or has more decimals than `scale` can hold.
fn scaled_nanos(number: &str, scale: u128) -> Option<u128> {
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole_value.checked_mul(scale)?;
    if !fraction.is_empty() {
        let digits = u32::try_from(fraction.len()).ok()?;
        let denominator = 10u128.checked_pow(digits)?;
        let numerator: u128 = fraction.parse().ok()?;
        let scaled = numerator.checked_mul(scale)?;
        if !scaled.is_multiple_of(denominator) {
            return None;
        }
        value = value.checked_add(scaled / denominator)?;
    }
    Some(value)
}

/// Prints `duration` in the canonical form (`1h30m`, `500ms`, `0s`); sub-millisecond
/// parts are dropped.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (name, unit_ms) in UNITS {
        let count = millis / unit_ms;
        if count > 0 {
            out.push_str(&count.to_string());
            out.push_str(name);
            millis -= count * unit_ms;
        }
    }
    out
}

/// Displays a [`Duration`] in the canonical form: `format!("{}", Canonical(d))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canonical(pub Duration);

impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// `#[serde(with = "duration::serde_text")]` for fields stored as duration text.
pub mod serde_text {
    use super::{format_duration, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes the canonical text form.
    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_duration(*value))
    }

    /// Reads the text form; a bare number is refused (it has no unit).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "duration::serde_text_option")]` for optional duration text fields.
pub mod serde_text_option {
    use super::{format_duration, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes the canonical text form, or nothing.
    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_str(&format_duration(*duration)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads the text form or a null.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| parse_duration(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// `#[serde(with = "duration::serde_millis")]`: a duration as an integer number of
/// milliseconds, the form the [`Plan`](super::plan::Plan) uses (fields ending in `_ms`).
pub mod serde_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes whole milliseconds (saturating at `u64::MAX`).
    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    /// Reads whole milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

/// `#[serde(with = "duration::serde_millis_option")]`: like [`serde_millis`], or null.
pub mod serde_millis_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes whole milliseconds, or null.
    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => super::serde_millis::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads whole milliseconds or a null.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_limit_lets_settings_go_past_thirty_days() {
        let year = Duration::from_secs(365 * 86_400);
        assert!(parse_duration("365d").is_err());
        assert_eq!(parse_duration_within("365d", year), Ok(year));
        let error = parse_duration_within("366d", year).unwrap_err();
        assert!(error.reason.contains("365d"), "{error}");
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn every_unit_parses() {
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("5m"), Ok(ms(300_000)));
        assert_eq!(parse_duration("2h"), Ok(ms(7_200_000)));
        assert_eq!(parse_duration("1d"), Ok(ms(86_400_000)));
    }

    #[test]
    fn sums_add_their_parts_in_any_order() {
        assert_eq!(parse_duration("1h30m"), Ok(ms(5_400_000)));
        assert_eq!(parse_duration("30m1h"), Ok(ms(5_400_000)));
        assert_eq!(parse_duration("1d 2h 3m 4s 5ms"), Ok(ms(93_784_005)));
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_duration("1.5h"), Ok(ms(5_400_000)));
        assert_eq!(parse_duration("0.25s"), Ok(ms(250)));
        assert_eq!(parse_duration(".5s"), Ok(ms(500)));
    }

    #[test]
    fn bad_text_is_refused_with_a_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("30", "no unit"),
            ("5x", "unknown unit"),
            ("-5m", "negative"),
            ("m", "expected a number"),
            ("1.2.3s", "not a number"),
            ("0.5ms", "whole number of milliseconds"),
            ("99999999999999999999999d", "too long"),
        ] {
            let error = parse_duration(input).expect_err(input);
            assert!(
                error.reason.contains(reason),
                "{input:?}: {:?} lacks {reason:?}",
                error.reason
            );
            assert!(error.to_string().contains("1h30m"), "hint in {error}");
        }
    }

    #[test]
    fn durations_are_bounded_at_thirty_days() {
        assert_eq!(parse_duration("30d"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("720h"), Ok(MAX_DURATION));
        for input in ["30d1ms", "31d", "99999999999h", "4294967296s"] {
            let error = parse_duration(input).expect_err(input);
            assert!(
                error.reason.contains("longer than the limit of 30d"),
                "{input}: {error}"
            );
        }
    }

    #[test]
    fn printing_is_canonical() {
        assert_eq!(format_duration(ms(0)), "0s");
        assert_eq!(format_duration(ms(500)), "500ms");
        assert_eq!(format_duration(ms(5_400_000)), "1h30m");
        assert_eq!(format_duration(ms(90_061_001)), "1d1h1m1s1ms");
        assert_eq!(Canonical(ms(129_600_000)).to_string(), "1d12h");
    }

    #[test]
    fn plan_offsets_serialise_as_whole_milliseconds() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Offsets {
            #[serde(with = "serde_millis")]
            at_ms: Duration,
            #[serde(with = "serde_millis_option")]
            within_ms: Option<Duration>,
            #[serde(with = "serde_text_option", default)]
            timeout: Option<Duration>,
        }
        let offsets = Offsets {
            at_ms: ms(90_000),
            within_ms: None,
            timeout: Some(ms(5_400_000)),
        };
        let json = serde_json::to_string(&offsets).expect("serialises");
        assert_eq!(
            json,
            r#"{"at_ms":90000,"within_ms":null,"timeout":"1h30m"}"#
        );
        assert_eq!(
            serde_json::from_str::<Offsets>(&json).expect("reads"),
            offsets
        );
    }

    #[test]
    fn printing_then_parsing_gives_the_same_duration() {
        for n in [
            0,
            1,
            999,
            1_000,
            61_000,
            3_600_000,
            86_400_001,
            1_234_567_890,
        ] {
            assert_eq!(parse_duration(&format_duration(ms(n))), Ok(ms(n)));
        }
    }
}
