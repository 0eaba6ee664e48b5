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

#[cfg(test)]
mod tests {
    use super::*;

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
