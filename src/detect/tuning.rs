//! Tunables at run time: the detectors' constants are their defaults, and
//! [`Config::tunables`] overrides them for one analysis. This module checks overrides against
//! the registry ([`Overrides::resolve`]) and gives each detector its values (the `Tunables`
//! struct every detector file declares with `tunables!`). The `--config` file that fills
//! `Config::tunables` is read and written by [`super::config_file`].

use std::collections::BTreeMap;

use super::{DETECTORS, Tunable};
use crate::config::{Config, TunableValue};

/// The Rust type of a tunable, which bounds the values it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TunableType {
    /// `i64` (durations in ns, factors).
    I64,
    /// `u64`.
    U64,
    /// `usize`.
    Usize,
    /// `u32`.
    U32,
    /// `u16`.
    U16,
    /// `f64` (shares).
    F64,
}

impl TunableType {
    /// The type's name as in Rust (`usize`).
    pub const fn name(self) -> &'static str {
        match self {
            TunableType::I64 => "i64",
            TunableType::U64 => "u64",
            TunableType::Usize => "usize",
            TunableType::U32 => "u32",
            TunableType::U16 => "u16",
            TunableType::F64 => "f64",
        }
    }

    /// Whether values have fractions.
    pub const fn is_float(self) -> bool {
        matches!(self, TunableType::F64)
    }

    /// The largest integer a tunable of this type takes (TOML integers are `i64`).
    pub const fn max(self) -> i64 {
        match self {
            TunableType::U32 => u32::MAX as i64,
            TunableType::U16 => u16::MAX as i64,
            TunableType::Usize if (usize::MAX as u128) < i64::MAX as u128 => usize::MAX as i64,
            _ => i64::MAX,
        }
    }
}

/// What a tunable measures. It decides how values are written: durations take a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TunableUnit {
    /// A duration in nanoseconds; a config file may write it with a unit (`"5s"`).
    Ns,
    /// A number of things (requests, flows, peers, errors).
    Count,
    /// A share, from 0 to 1.
    Fraction,
    /// A key or group size in bits.
    Bits,
    /// A size in bytes.
    Bytes,
    /// A multiplier.
    Factor,
}

impl TunableUnit {
    /// Its name as `pcap-rca detectors` shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            TunableUnit::Ns => "ns",
            TunableUnit::Count => "count",
            TunableUnit::Fraction => "fraction",
            TunableUnit::Bits => "bits",
            TunableUnit::Bytes => "bytes",
            TunableUnit::Factor => "factor",
        }
    }
}

/// A Rust type a tunable can have: its [`TunableType`], and its value from a checked
/// [`TunableValue`].
pub trait Value: Copy {
    /// The type.
    const TYPE: TunableType;
    /// The value `v` stands for, if it fits.
    fn from_value(v: TunableValue) -> Option<Self>;
}

macro_rules! int_value {
    ($($t:ty => $k:ident),+) => {$(
        impl Value for $t {
            const TYPE: TunableType = TunableType::$k;
            fn from_value(v: TunableValue) -> Option<Self> {
                match v {
                    TunableValue::Int(i) => <$t>::try_from(i).ok(),
                    TunableValue::Float(_) => None,
                }
            }
        }
    )+};
}
int_value!(i64 => I64, u64 => U64, usize => Usize, u32 => U32, u16 => U16);

impl Value for f64 {
    const TYPE: TunableType = TunableType::F64;
    fn from_value(v: TunableValue) -> Option<Self> {
        match v {
            TunableValue::Float(f) => Some(f),
            TunableValue::Int(i) => Some(i as f64),
        }
    }
}

impl Tunable {
    /// The key that names it in [`Config::tunables`] and in a config file's detector table
    /// (`critical_attempts`).
    pub fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// `v` as `pcap-rca detectors` shows it: durations with a unit (`1500ms`), other values
    /// as numbers.
    pub fn format_value(&self, v: TunableValue) -> String {
        match (self.unit, v) {
            (TunableUnit::Ns, TunableValue::Int(ns)) => format_duration(ns),
            _ => v.to_string(),
        }
    }

    /// What values it takes, its type, unit and default, for error messages.
    pub(crate) fn expected(&self) -> String {
        let what = match (self.unit, self.ty) {
            (TunableUnit::Ns, _) => {
                "a duration: integer ns, or a string with a unit (ns, us, ms, s, min) like \"5s\""
                    .to_string()
            }
            (TunableUnit::Fraction, _) => "a number from 0 to 1".to_string(),
            (_, t) if t.is_float() => "a non-negative number".to_string(),
            (_, t) if t.max() == i64::MAX => "a non-negative integer".to_string(),
            (_, t) => format!("an integer from 0 to {}", t.max()),
        };
        format!(
            "{what} ({} {}, default {})",
            self.ty.name(),
            self.unit.as_str(),
            self.format_value(self.default)
        )
    }

    /// `v` if this tunable can take it (ints made floats for fractional tunables), else why
    /// not.
    pub(crate) fn check(&self, v: TunableValue) -> Result<TunableValue, String> {
        let bad = |got: String| Err(format!("expected {}, got {got}", self.expected()));
        match v {
            TunableValue::Int(i) if i < 0 => bad(i.to_string()),
            TunableValue::Int(i) if self.ty.is_float() => self.check(TunableValue::Float(i as f64)),
            TunableValue::Int(i) if i > self.ty.max() => bad(i.to_string()),
            TunableValue::Int(_) => Ok(v),
            TunableValue::Float(f) if !self.ty.is_float() => bad(format!("{f:?}")),
            TunableValue::Float(f)
                if !f.is_finite()
                    || f < 0.0
                    || (self.unit == TunableUnit::Fraction && f > 1.0) =>
            {
                bad(format!("{f:?}"))
            }
            TunableValue::Float(_) => Ok(v),
        }
    }

}

/// Overrides checked against the registry: values by (detector id, tunable name). What the
/// detectors read their tunables from (`Tunables::of` in each detector file).
#[derive(Debug, Clone, Default)]
pub struct Overrides(BTreeMap<(&'static str, &'static str), TunableValue>);

impl Overrides {
    /// Checks raw overrides (keys `DETECTOR.TUNABLE` in any case, see [`Config::tunables`]):
    /// the first key that names no tunable, or whose value the tunable cannot take, is the
    /// error, as `key: what is wrong`.
    pub fn resolve(raw: &BTreeMap<String, TunableValue>) -> Result<Overrides, String> {
        let mut out = Overrides::default();
        let mut seen: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        for (key, v) in raw {
            let (id, t) = find(key)?;
            let v = t.check(*v).map_err(|e| format!("{key}: {e}"))?;
            if let Some(first) = seen.insert((id, t.name), key) {
                return Err(format!("{key}: set twice (also as {first})"));
            }
            out.0.insert((id, t.name), v);
        }
        Ok(out)
    }

    /// The overrides in `raw` that are right, the others left out.
    pub fn lenient(raw: &BTreeMap<String, TunableValue>) -> Overrides {
        let mut out = Overrides::default();
        for (key, v) in raw {
            if let Ok((id, t)) = find(key) {
                if let Ok(v) = t.check(*v) {
                    out.0.entry((id, t.name)).or_insert(v);
                }
            }
        }
        out
    }

    /// The override of detector `id`'s tunable `name`, if any.
    pub fn overridden(&self, id: &str, name: &str) -> Option<TunableValue> {
        self.0.get(&(id, name)).copied()
    }

    /// The value of detector `id`'s tunable `name`: the override, else `default`.
    pub fn get<T: Value>(&self, id: &str, name: &str, default: T) -> T {
        self.overridden(id, name)
            .and_then(T::from_value)
            .unwrap_or(default)
    }
}

/// The detector and tunable `key` (`DETECTOR.TUNABLE`, any case) names.
pub(crate) fn find(key: &str) -> Result<(&'static str, &'static Tunable), String> {
    let Some((owner, name)) = key.rsplit_once('.') else {
        return Err(format!(
            "{key}: not a tunable (keys are DETECTOR.TUNABLE, like tcp.syn_unanswered.critical_attempts)"
        ));
    };
    let d = detector(owner).map_err(|e| format!("{key}: {e}"))?;
    match d.tunables.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
        Some(t) => Ok((d.id, t)),
        None => Err(format!("{key}: {}", unknown_tunable(d.id, d.tunables, name))),
    }
}

/// The detector with id `id` (any case).
pub(crate) fn detector(id: &str) -> Result<&'static super::Detector, String> {
    DETECTORS
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| {
            let hint = closest(id, DETECTORS.iter().map(|d| d.id))
                .map(|c| format!("; did you mean {c}?"))
                .unwrap_or_else(|| "; `pcap-rca detectors` lists them".into());
            format!("no detector {id:?}{hint}")
        })
}

fn unknown_tunable(id: &str, tunables: &[Tunable], name: &str) -> String {
    if tunables.is_empty() {
        return format!("{id} has no tunables");
    }
    let keys: Vec<String> = tunables.iter().map(|t| t.key()).collect();
    let hint = closest(&name.to_ascii_lowercase(), keys.iter().map(String::as_str))
        .map(|c| format!("did you mean {c}? "))
        .unwrap_or_default();
    format!(
        "{id} has no tunable {name:?}; {hint}it has {}",
        keys.join(", ")
    )
}

/// The candidate closest to `word` by edit distance, if it is close (a typo).
pub(crate) fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Checks [`Config::tunables`] (see [`Overrides::resolve`]).
pub fn check(cfg: &Config) -> Result<(), String> {
    Overrides::resolve(&cfg.tunables).map(|_| ())
}

/// The value in effect for detector `id`'s tunable `name` (both in any case): the override
/// in `cfg`, else the default; `None` when there is no such tunable.
pub fn value(cfg: &Config, id: &str, name: &str) -> Option<TunableValue> {
    let d = DETECTORS.iter().find(|d| d.id.eq_ignore_ascii_case(id))?;
    let t = d.tunables.iter().find(|t| t.name.eq_ignore_ascii_case(name))?;
    let set = cfg.tunables.iter().find_map(|(k, v)| {
        let (o, n) = k.rsplit_once('.')?;
        (o.eq_ignore_ascii_case(d.id) && n.eq_ignore_ascii_case(t.name)).then_some(*v)
    });
    Some(set.and_then(|v| t.check(v).ok()).unwrap_or(t.default))
}

/// Nanoseconds per unit of a duration string.
pub(crate) const UNITS: &[(&str, i64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("min", 60_000_000_000),
];

/// `ns` in the largest unit that writes it exactly (`1500ms`, `5min`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let (unit, mult) = UNITS
        .iter()
        .filter(|(u, _)| *u != "µs")
        .rev()
        .find(|(_, m)| ns % m == 0)
        .copied()
        .unwrap_or(("ns", 1));
    format!("{}{unit}", ns / mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_overrides_are_checked_like_the_file() {
        let mut raw = BTreeMap::new();
        raw.insert("TCP.SYN_UNANSWERED.CRITICAL_SYNS".to_string(), TunableValue::Int(9));
        let o = Overrides::resolve(&raw).unwrap();
        assert_eq!(o.get("tcp.syn_unanswered", "CRITICAL_SYNS", 3u64), 9);
        raw.insert("tcp.syn_unanswered.critical_syns".into(), TunableValue::Int(9));
        assert!(Overrides::resolve(&raw).unwrap_err().contains("set twice"));
        let one = |k: &str, v: TunableValue| {
            Overrides::resolve(&[(k.to_string(), v)].into_iter().collect())
        };
        assert!(one("tcp.syn_unanswered.critical_syns", TunableValue::Int(-3)).is_err());
        assert!(one("tcp.syn_unanswered.critical_syns", TunableValue::Float(3.0)).is_err());
        assert!(one("critical_syns", TunableValue::Int(3)).unwrap_err().contains("DETECTOR.TUNABLE"));
        assert!(one("tcp.peers.min_failed_share", TunableValue::Int(1)).is_ok());
        assert!(one("capture.truncated.x", TunableValue::Int(1)).unwrap_err().contains("has no tunables"));
    }

    #[test]
    fn every_tunable_is_typed_documented_and_its_default_passes_its_own_check() {
        let mut keys = std::collections::BTreeSet::new();
        for d in DETECTORS {
            for t in d.tunables {
                assert!(keys.insert((d.id, t.key())), "{}", t.name);
                assert_eq!(t.check(t.default), Ok(t.default), "{}.{}", d.id, t.name);
                assert_eq!(
                    t.unit == TunableUnit::Ns,
                    t.name.ends_with("_NS"),
                    "{}.{}: durations, and only they, end in _NS",
                    d.id,
                    t.name
                );
                if t.unit == TunableUnit::Ns {
                    assert_eq!(t.ty, TunableType::I64, "{}", t.name);
                }
                assert_eq!(t.ty.is_float(), t.unit == TunableUnit::Fraction, "{}", t.name);
            }
        }
        assert!(keys.len() > 40, "{}", keys.len());
    }

    #[test]
    fn value_gives_the_override_or_the_default() {
        let mut c = Config::default();
        assert_eq!(value(&c, "tcp.syn_unanswered", "critical_syns"), Some(TunableValue::Int(3)));
        c.tunables.insert("tcp.syn_unanswered.CRITICAL_SYNS".into(), TunableValue::Int(7));
        assert_eq!(value(&c, "TCP.syn_unanswered", "critical_syns"), Some(TunableValue::Int(7)));
        assert_eq!(value(&c, "tcp.syn_unanswered", "nope"), None);
    }
}


/// No detector reads a tunable's constant: every use goes through its `Tunables`, or an
/// override would not reach it.
#[cfg(test)]
mod wiring {
    use super::DETECTORS;

    /// The code of a detector file: its tests, its `tunables!` block and comments left out.
    fn code(text: &str) -> String {
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut out = String::new();
        let mut in_block = false;
        for line in text.lines() {
            if line.starts_with("tunables! {") {
                in_block = true;
            }
            if !in_block {
                out.push_str(line.split("//").next().unwrap_or(""));
                out.push('\n');
            }
            if in_block && line == "}" {
                in_block = false;
            }
        }
        out
    }

    #[test]
    fn detectors_read_tunables_only_through_their_runtime_values() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/detect");
        let names: Vec<&str> = DETECTORS
            .iter()
            .flat_map(|d| d.tunables.iter().map(|t| t.name))
            .collect();
        let mut bare = Vec::new();
        let mut files = 0;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "rs") || p.ends_with("tuning.rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&p).unwrap();
            for (n, line) in code(&text).lines().enumerate() {
                for name in &names {
                    let mut from = 0;
                    while let Some(i) = line[from..].find(name) {
                        let at = from + i;
                        from = at + name.len();
                        let before = line[..at].chars().next_back();
                        let after = line[from..].chars().next();
                        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                        // `tun.NAME` is the runtime value; anything else reads the constant.
                        if !word(before) && !word(after) && before != Some('.') {
                            bare.push(format!("{}:{}: {name}", p.display(), n + 1));
                        }
                    }
                }
            }
        }
        assert!(files > 20, "{files} files read");
        assert!(bare.is_empty(), "constants read instead of `Tunables`:\n{}", bare.join("\n"));
    }
}

