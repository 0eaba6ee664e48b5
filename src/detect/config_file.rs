//! The `--config` file: TOML with a table per detector id and a key per tunable (read into
//! [`Config::tunables`]), and `[analysis]` for the limits and flow timeouts of [`Config`].
//! [`load_toml`] reads one, checking every key before it changes anything; [`to_toml`] writes
//! one, every key documented, as a template.

use std::collections::BTreeMap;

use super::tuning::{Overrides, UNITS, closest, detector, find, format_duration};
use super::{DETECTORS, Tunable, TunableUnit};
use crate::config::{Config, TunableValue};

impl Tunable {
    /// The value a TOML value stands for, checked.
    fn read_toml(&self, v: &toml::Value) -> Result<TunableValue, String> {
        let bad = |got: String| Err(format!("expected {}, got {got}", self.expected()));
        match v {
            toml::Value::Integer(i) => self.check(TunableValue::Int(*i)),
            toml::Value::Float(f) => self.check(TunableValue::Float(*f)),
            toml::Value::String(s) if self.unit == TunableUnit::Ns => match parse_duration(s) {
                Ok(ns) => self.check(TunableValue::Int(ns)),
                Err(why) => bad(format!("{s:?} ({why})")),
            },
            other => bad(describe(other)),
        }
    }
}

/// The `[analysis]` settings of a config file: (key, what it is, getter, setter).
struct Setting {
    key: &'static str,
    doc: &'static str,
    duration: bool,
    get: fn(&Config) -> i64,
    set: fn(&mut Config, i64),
}

fn clamp(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn size(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

const SETTINGS: &[Setting] = &[
    Setting {
        key: "max_flows",
        doc: "Most flows tracked at once; beyond it the longest-idle flows are finished early.",
        duration: false,
        get: |c| clamp(c.max_flows),
        set: |c, v| c.max_flows = size(v),
    },
    Setting {
        key: "max_records",
        doc: "Most finished-flow records kept as they are; beyond it flows with nothing particular are folded.",
        duration: false,
        get: |c| clamp(c.max_records),
        set: |c, v| c.max_records = size(v),
    },
    Setting {
        key: "max_events",
        doc: "Most events of each kind (ARP, ICMP, DNS, HTTP, TLS) kept for the detectors.",
        duration: false,
        get: |c| clamp(c.max_events),
        set: |c, v| c.max_events = size(v),
    },
    Setting {
        key: "tcp_timeout_ns",
        doc: "A TCP connection idle this long is over.",
        duration: true,
        get: |c| c.timeouts.tcp_ns,
        set: |c, v| c.timeouts.tcp_ns = v,
    },
    Setting {
        key: "tcp_closed_timeout_ns",
        doc: "A TCP connection closed (FIN both ways) or reset is over after this much quiet.",
        duration: true,
        get: |c| c.timeouts.tcp_closed_ns,
        set: |c, v| c.timeouts.tcp_closed_ns = v,
    },
    Setting {
        key: "udp_timeout_ns",
        doc: "A UDP flow idle this long is over.",
        duration: true,
        get: |c| c.timeouts.udp_ns,
        set: |c, v| c.timeouts.udp_ns = v,
    },
    Setting {
        key: "icmp_timeout_ns",
        doc: "An ICMP flow idle this long is over.",
        duration: true,
        get: |c| c.timeouts.icmp_ns,
        set: |c, v| c.timeouts.icmp_ns = v,
    },
];

/// The table of a config file that holds [`SETTINGS`].
const ANALYSIS: &str = "analysis";

impl Setting {
    fn format(&self, v: i64) -> String {
        if self.duration {
            format!("{:?}", format_duration(v))
        } else {
            v.to_string()
        }
    }

    fn expected(&self, default: i64) -> String {
        let what = if self.duration {
            "a positive duration: integer ns, or a string with a unit (ns, us, ms, s, min) like \"5s\""
        } else {
            "a positive integer"
        };
        format!("{what} (default {})", self.format(default))
    }

    fn read_toml(&self, v: &toml::Value) -> Result<i64, String> {
        let default = (self.get)(&Config::default());
        let bad = |got: String| Err(format!("expected {}, got {got}", self.expected(default)));
        let n = match v {
            toml::Value::Integer(i) => *i,
            toml::Value::String(s) if self.duration => match parse_duration(s) {
                Ok(ns) => ns,
                Err(why) => return bad(format!("{s:?} ({why})")),
            },
            other => return bad(describe(other)),
        };
        if n <= 0 {
            return bad(n.to_string());
        }
        Ok(n)
    }
}

/// A duration written with a unit (`"5s"`, `"1.5 ms"`, `"2min"`), in ns.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let (num, unit) = (s[..split].replace('_', ""), s[split..].trim());
    if s.starts_with('-') {
        return Err("negative".into());
    }
    let Some(&(_, mult)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(if unit.is_empty() {
            "no unit: ns, us, ms, s or min".into()
        } else {
            format!("unknown unit {unit:?}: ns, us, ms, s or min")
        });
    };
    let (int, frac) = num.split_once('.').unwrap_or((&num, ""));
    if int.is_empty() && frac.is_empty() || frac.contains('.') {
        return Err("not a number".into());
    }
    let too_big = || "too long".to_string();
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_big())?
    };
    let mut ns = int.checked_mul(mult).ok_or_else(too_big)?;
    // The fraction, exactly: digit by digit, each worth a tenth of the one before.
    let mut place = mult;
    for d in frac.chars() {
        let d = i64::from(d.to_digit(10).unwrap_or(0) as u8);
        if place % 10 != 0 {
            if d != 0 {
                return Err("finer than a nanosecond".into());
            }
            continue;
        }
        place /= 10;
        ns = ns.checked_add(d * place).ok_or_else(too_big)?;
    }
    Ok(ns)
}

/// The key that names tunable `t` of detector `id` in [`Config::tunables`]
/// (`tcp.syn_unanswered.critical_attempts`).
pub(crate) fn canonical(id: &str, t: &Tunable) -> String {
    format!("{id}.{}", t.key())
}

/// How a TOML value is described in an error.
fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the string {s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => format!("the date {d}"),
        toml::Value::Array(_) => "an array".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// Reads a config file's text into `cfg`: every key is checked first, and `cfg` changes only
/// when all are right. The error is one line, `key: what is wrong`.
pub fn load_toml(cfg: &mut Config, text: &str) -> Result<(), String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(" at line {line}, column {col}")
            })
            .unwrap_or_default();
        format!("TOML syntax error{at}: {}", e.message().trim().replace('\n', " "))
    })?;
    let mut next = cfg.clone();
    let mut set: BTreeMap<String, (String, TunableValue)> = BTreeMap::new();
    walk(&table, "", &mut next, &mut set)?;
    // Overrides already in `cfg` for the same tunable are replaced, whatever their case.
    next.tunables
        .retain(|k, _| !find(k).is_ok_and(|(id, t)| set.contains_key(&canonical(id, t))));
    for (key, (_, v)) in set {
        next.tunables.insert(key, v);
    }
    *cfg = next;
    Ok(())
}

/// Reads the entries of `table` (at dotted path `path`) into `cfg` and `set` (canonical key
/// -> (key as written, value)).
fn walk(
    table: &toml::Table,
    path: &str,
    cfg: &mut Config,
    set: &mut BTreeMap<String, (String, TunableValue)>,
) -> Result<(), String> {
    for (k, v) in table {
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let lower = here.to_ascii_lowercase();
        if let toml::Value::Table(t) = v {
            let parent = path.to_ascii_lowercase();
            if DETECTORS.iter().any(|d| d.id == parent) || parent == ANALYSIS {
                return Err(format!("{here}: expected a value, got a table"));
            }
            let is_detector = DETECTORS.iter().any(|d| d.id == lower);
            let leads_to_one = DETECTORS
                .iter()
                .any(|d| d.id.starts_with(&format!("{lower}.")));
            if is_detector || lower == ANALYSIS || leads_to_one {
                walk(t, &here, cfg, set)?;
                continue;
            }
            return Err(format!(
                "[{here}]: {}",
                detector(&lower)
                    .err()
                    .unwrap_or_else(|| "not a detector".into())
            ));
        }
        let (owner, name) = lower.rsplit_once('.').unwrap_or(("", &lower));
        if owner == ANALYSIS {
            let s = SETTINGS.iter().find(|s| s.key == name).ok_or_else(|| {
                let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                let hint = closest(name, keys.iter().copied())
                    .map(|c| format!("did you mean {c}? "))
                    .unwrap_or_default();
                format!(
                    "{here}: [{ANALYSIS}] has no setting {name:?}; {hint}it has {}",
                    keys.join(", ")
                )
            })?;
            let n = s.read_toml(v).map_err(|e| format!("{here}: {e}"))?;
            (s.set)(cfg, n);
            continue;
        }
        if owner.is_empty() {
            return Err(format!(
                "{here}: a value outside any table; put it under [DETECTOR] (`pcap-rca detectors` lists them) or [{ANALYSIS}]"
            ));
        }
        let (id, t) = find(&here)?;
        let value = t.read_toml(v).map_err(|e| format!("{here}: {e}"))?;
        if let Some((first, _)) = set.insert(canonical(id, t), (here.clone(), value)) {
            return Err(format!("{here}: set twice (also as {first})"));
        }
    }
    Ok(())
}

/// `cfg` as a config file: every `[analysis]` setting and every detector's tunables, each
/// with its documentation; values `cfg` sets differently from the defaults are set, the
/// others commented out at their defaults (`#key = value`, remove the `#` to change one).
/// Read back with [`load_toml`], it gives the same settings.
pub fn to_toml(cfg: &Config) -> String {
    let mut o = String::new();
    o.push_str(
        "# pcap-rca configuration (`pcap-rca analyze --config FILE`).\n\
         # A table per detector (its id, as `pcap-rca detectors` lists them), a key per tunable;\n\
         # names are case-insensitive. Lines `#key = value` show a default: remove the `#` and\n\
         # change the value to override it. Durations are integer ns or a string with a unit\n\
         # (ns, us, ms, s, min): \"500ms\", \"1.5s\", \"2min\".\n",
    );
    let default = Config::default();
    o.push_str(&format!(
        "\n# Limits and flow timeouts of the analysis.\n[{ANALYSIS}]\n"
    ));
    for s in SETTINGS {
        let (v, d) = ((s.get)(cfg), (s.get)(&default));
        o.push_str(&format!("# {}\n", s.doc));
        if v == d {
            o.push_str(&format!("#{} = {}\n", s.key, s.format(d)));
        } else {
            o.push_str(&format!(
                "{} = {}  # default {}\n",
                s.key,
                s.format(v),
                s.format(d)
            ));
        }
    }
    let overrides = Overrides::resolve(&cfg.tunables).unwrap_or_default();
    for d in DETECTORS.iter().filter(|d| !d.tunables.is_empty()) {
        o.push_str(&format!("\n[{}]\n", d.id));
        for t in d.tunables {
            for line in t.doc.lines() {
                o.push_str(&format!("# {}\n", line.trim()).replace("# \n", "#\n"));
            }
            let lit = |v: TunableValue| match (t.unit, v) {
                (TunableUnit::Ns, TunableValue::Int(ns)) => format!("{:?}", format_duration(ns)),
                _ => v.to_string(),
            };
            let about = format!("{} {}", t.ty.name(), t.unit.as_str());
            match overrides.overridden(d.id, t.name) {
                Some(v) if v != t.default => o.push_str(&format!(
                    "{} = {}  # {about}, default {}\n",
                    t.key(),
                    lit(v),
                    lit(t.default)
                )),
                _ => o.push_str(&format!("#{} = {}  # {about}\n", t.key(), lit(t.default))),
            }
        }
    }
    o
}

/// The `[analysis]` timeouts of a config, for tests.
#[cfg(test)]
fn timeouts(cfg: &Config) -> (i64, i64, i64, i64) {
    let t = cfg.timeouts;
    (t.tcp_ns, t.udp_ns, t.icmp_ns, t.tcp_closed_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, String> {
        let mut c = Config::default();
        load_toml(&mut c, text).map(|_| c)
    }

    fn err(text: &str) -> String {
        load(text).expect_err(text)
    }

    #[test]
    fn durations_read_with_units_and_write_back_exactly() {
        assert_eq!(parse_duration("5s"), Ok(5_000_000_000));
        assert_eq!(parse_duration(" 1.5 ms "), Ok(1_500_000));
        assert_eq!(parse_duration("2min"), Ok(120_000_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("250µs"), Ok(250_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("1_000ms"), Ok(1_000_000_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000_000));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("1.5ns").unwrap_err().contains("finer"));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("99999999999min").unwrap_err().contains("too long"));
        for ns in [0, 1, 999, 1_000, 1_500_000, 1_000_000_000, 1_500_000_000, 300_000_000_000] {
            assert_eq!(parse_duration(&format_duration(ns)), Ok(ns), "{ns}");
        }
        assert_eq!(format_duration(300_000_000_000), "5min");
        assert_eq!(format_duration(1_500_000_000), "1500ms");
    }

    #[test]
    fn detector_tables_set_tunables_by_canonical_key() {
        let c = load(
            "[tcp.syn_unanswered]\nCRITICAL_ATTEMPTS = 5\nend_grace_ns = \"2s\"\n\
             [\"tcp.rst_storm\"]\nwindow_ns = 5_000_000_000\n\
             [capture.one_sided]\none_sided_min_share = 1\n",
        )
        .unwrap();
        let want: BTreeMap<String, TunableValue> = [
            ("capture.one_sided.one_sided_min_share", TunableValue::Float(1.0)),
            ("tcp.rst_storm.window_ns", TunableValue::Int(5_000_000_000)),
            ("tcp.syn_unanswered.critical_attempts", TunableValue::Int(5)),
            ("tcp.syn_unanswered.end_grace_ns", TunableValue::Int(2_000_000_000)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(c.tunables, want);
        let o = Overrides::resolve(&c.tunables).unwrap();
        assert_eq!(o.get("tcp.syn_unanswered", "CRITICAL_ATTEMPTS", 2usize), 5);
        assert_eq!(o.get("tcp.syn_unanswered", "CRITICAL_SYNS", 3u64), 3);
        // Dotted keys, quoted or not, work too.
        for text in [
            "tcp.syn_unanswered.critical_syns = 4\n",
            "\"tcp.syn_unanswered.critical_syns\" = 4\n",
            "[tcp]\nsyn_unanswered.critical_syns = 4\n",
        ] {
            let c = load(text).unwrap();
            assert_eq!(
                c.tunables.get("tcp.syn_unanswered.critical_syns"),
                Some(&TunableValue::Int(4)),
                "{text}"
            );
        }
    }

    #[test]
    fn the_analysis_table_sets_limits_and_timeouts() {
        let c = load(
            "[analysis]\nmax_flows = 1000\nmax_records = 50\nmax_events = 10\n\
             tcp_timeout_ns = \"10min\"\nudp_timeout_ns = \"30s\"\nicmp_timeout_ns = 1000\n\
             tcp_closed_timeout_ns = \"1s\"\n",
        )
        .unwrap();
        assert_eq!((c.max_flows, c.max_records, c.max_events), (1000, 50, 10));
        assert_eq!(
            timeouts(&c),
            (600_000_000_000, 30_000_000_000, 1000, 1_000_000_000)
        );
        assert!(err("[analysis]\nmax_flows = 0\n").contains("analysis.max_flows: expected a positive integer"));
        assert!(err("[analysis]\ntcp_timeout_ns = \"soon\"\n").contains("analysis.tcp_timeout_ns"));
        let e = err("[analysis]\nmax_flow = 3\n");
        assert!(e.contains("analysis.max_flow") && e.contains("did you mean max_flows"), "{e}");
    }

    #[test]
    fn each_kind_of_error_names_the_key_and_what_was_expected() {
        // Unknown table, with a suggestion.
        let e = err("[tcp.syn_unanswerd]\ncritical_syns = 4\n");
        assert!(e.contains("tcp.syn_unanswerd") && e.contains("did you mean tcp.syn_unanswered"), "{e}");
        let e = err("[nonsense]\nx = 1\n");
        assert!(e.starts_with("[nonsense]: no detector") && e.contains("pcap-rca detectors"), "{e}");
        // Unknown key, listing the detector's tunables.
        let e = err("[tcp.syn_unanswered]\nmin_failed = 5\n");
        assert_eq!(
            e,
            "tcp.syn_unanswered.min_failed: tcp.syn_unanswered has no tunable \"min_failed\"; \
             it has end_grace_ns, critical_attempts, critical_syns"
        );
        // Wrong type.
        let e = err("[tcp.syn_unanswered]\ncritical_attempts = \"many\"\n");
        assert_eq!(
            e,
            "tcp.syn_unanswered.critical_attempts: expected a non-negative integer \
             (usize count, default 2), got the string \"many\""
        );
        assert!(err("[tcp.syn_unanswered]\ncritical_attempts = 2.5\n").contains("got 2.5"));
        assert!(err("[tcp.syn_unanswered]\ncritical_attempts = true\n").contains("got true"));
        assert!(err("[tcp.syn_unanswered]\ncritical_attempts = [1]\n").contains("got an array"));
        // Negative for unsigned, and for durations.
        let e = err("[tcp.syn_unanswered]\ncritical_syns = -1\n");
        assert!(e.contains("critical_syns: expected a non-negative integer (u64 count, default 3), got -1"), "{e}");
        assert!(err("[tcp.syn_unanswered]\nend_grace_ns = -1\n").contains("got -1"));
        // Out of range.
        let e = err("[tls.handshake]\nabort_max_len = 70000\n");
        assert!(e.contains("abort_max_len: expected an integer from 0 to 65535 (u16 bytes, default 40), got 70000"), "{e}");
        let e = err("[capture.one_sided]\none_sided_min_share = 1.5\n");
        assert!(e.contains("expected a number from 0 to 1 (f64 fraction, default 0.5), got 1.5"), "{e}");
        assert!(err("[capture.one_sided]\none_sided_min_share = nan\n").contains("got NaN"));
        // Unparsable duration.
        let e = err("[tcp.rst_storm]\nwindow_ns = \"5 parsecs\"\n");
        assert!(e.starts_with("tcp.rst_storm.window_ns: expected a duration") && e.contains("default 10s") && e.contains("unknown unit"), "{e}");
        // A duration needs a whole number of ns, not a float of seconds.
        assert!(err("[tcp.rst_storm]\nwindow_ns = 1.5\n").contains("got 1.5"));
        // TOML syntax error: one line, with where.
        let e = err("[tcp.rst_storm\nwindow_ns = 1\n");
        assert!(e.starts_with("TOML syntax error at line 1, column"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // The same tunable twice, in two spellings.
        let e = err("[tcp.rst_storm]\nwindow_ns = 1\nWINDOW_NS = 2\n");
        assert!(e.contains("set twice"), "{e}");
        // A table where a value was expected.
        let e = err("[tcp.syn_unanswered.critical_syns]\nx = 1\n");
        assert_eq!(e, "tcp.syn_unanswered.critical_syns: expected a value, got a table");
        assert!(err("[analysis.timeouts]\ntcp = 1\n").contains("expected a value, got a table"));
        // A value where a detector table was expected.
        assert!(err("tcp = 3\n").contains("outside any table"));
        // Nothing is applied when something is wrong.
        let mut c = Config::default();
        assert!(load_toml(&mut c, "[analysis]\nmax_flows = 5\n[tcp.x]\n").is_err());
        assert_eq!(c.max_flows, Config::default().max_flows);
    }

    #[test]
    fn the_template_reads_back_as_the_config_it_was_written_from() {
        let default = Config::default();
        let t = to_toml(&default);
        assert_eq!(load(&t).unwrap().tunables, default.tunables);
        // Uncommented, it sets every tunable and setting to its default.
        let all = uncomment(&t);
        let c = load(&all).unwrap();
        let n: usize = DETECTORS.iter().map(|d| d.tunables.len()).sum();
        assert_eq!(c.tunables.len(), n);
        for d in DETECTORS {
            for t in d.tunables {
                assert_eq!(c.tunables[&canonical(d.id, t)], t.default, "{}", t.name);
            }
        }
        assert_eq!(timeouts(&c), timeouts(&default));
        // A config with some values changed writes them, and reads back the same.
        let c = load(
            "[analysis]\nmax_flows = 7\nudp_timeout_ns = \"3s\"\n\
             [tcp.syn_unanswered]\ncritical_syns = 9\nend_grace_ns = \"250ms\"\n",
        )
        .unwrap();
        let t = to_toml(&c);
        assert!(t.contains("\ncritical_syns = 9  # u64 count, default 3\n"), "{t}");
        assert!(t.contains("\nend_grace_ns = \"250ms\"  # i64 ns, default \"1s\"\n"), "{t}");
        assert!(t.contains("\nmax_flows = 7  # default 4000000\n"), "{t}");
        let back = load(&t).unwrap();
        assert_eq!(back.tunables, c.tunables);
        assert_eq!((back.max_flows, timeouts(&back)), (7, timeouts(&c)));
    }

    /// The template with every `#key = value` line made a setting.
    pub(crate) fn uncomment(t: &str) -> String {
        t.lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn no_detector_id_clashes_with_the_analysis_table() {
        for d in DETECTORS {
            assert!(!d.id.starts_with(ANALYSIS), "{} would clash with [analysis]", d.id);
        }
    }
}
