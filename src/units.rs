//! Small formatting and rounding shared by every stage: RFC 3339 timestamps as Wireshark shows
//! them, and the two-decimal rounding of confidences. It imports nothing from the crate.

/// Formats nanoseconds since the epoch as RFC 3339 UTC with microseconds
/// (`2026-03-01T08:00:00.000000Z`), truncating toward the past like Wireshark.
pub fn rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let micros = ns.rem_euclid(1_000_000_000) / 1000;
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            micros
        ),
        Err(_) => format!("{secs}.{micros:06}"),
    }
}

/// `x` clamped to 0..=1 and rounded to two decimals (confidences).
pub fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Parses what [`rfc3339`] writes (`2026-03-01T08:00:00.123456Z`) back to ns since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 27 || b[10] != b'T' || b[26] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let month = time::Month::try_from(num(5..7)? as u8).ok()?;
    let date = time::Date::from_calendar_date(num(0..4)? as i32, month, num(8..10)? as u8).ok()?;
    let t =
        time::Time::from_hms(num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8).ok()?;
    let secs = time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp();
    secs.checked_mul(1_000_000_000)?
        .checked_add(num(20..26)? * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_back() {
        for ns in [
            0,
            1_772_352_000_123_456_000,
            -1_000,
            2_164_247_948_451_000_000,
        ] {
            assert_eq!(parse_rfc3339(&rfc3339(ns)), Some(ns));
        }
        assert_eq!(parse_rfc3339("1234.000000"), None);
    }

    #[test]
    fn rfc3339_formats_microseconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_772_352_000_123_456_789),
            "2026-03-01T08:00:00.123456Z"
        );
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
        // Beyond 32-bit signed time_t (arkime/y2038-bgp.pcap).
        assert_eq!(
            rfc3339(2_164_247_948_451_000_000),
            "2038-08-01T03:59:08.451000Z"
        );
    }

    #[test]
    fn round2_clamps_and_rounds() {
        assert_eq!(round2(0.456), 0.46);
        assert_eq!(round2(1.7), 1.0);
        assert_eq!(round2(-0.2), 0.0);
    }
}
