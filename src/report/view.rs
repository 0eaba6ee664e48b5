//! What a rendering shows of a report: every renderer (text, Markdown) takes the same
//! [`View`], so `--top`, `--server` and `--verbose` mean the same everywhere.

use crate::rank::RootCause;

use super::Report;

/// Which root causes to show, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// Show at most this many root causes (in rank order).
    pub top: Option<usize>,
    /// Show only root causes about this server: `HOST` (address or name seen in the
    /// capture) or `HOST:PORT` (`[v6]:PORT` for IPv6).
    pub server: Option<String>,
    /// Also list every finding the root causes are built from.
    pub verbose: bool,
    /// Colour severities and headings (terminal renderings only).
    pub color: bool,
    /// The language of titles, explanations, remediation and headings.
    pub lang: Lang,
}

/// A rendering's language. Frame numbers, cause ids, JSON fields, evidence notes and
/// Wireshark filters stay as they are in every language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl View {
    /// The root causes to show, in rank order.
    pub fn causes<'a>(&self, r: &'a Report) -> Vec<&'a RootCause> {
        let wanted = self.server.as_deref().map(parse_server);
        r.root_causes
            .iter()
            .filter(|c| wanted.as_ref().is_none_or(|w| matches(c, w)))
            .take(self.top.unwrap_or(usize::MAX))
            .collect()
    }

    /// Whether some root causes are hidden by `top` or `server`.
    pub fn is_partial(&self, r: &Report) -> bool {
        self.causes(r).len() < r.root_causes.len()
    }
}

/// `HOST[:PORT]`, as (host, port).
fn parse_server(s: &str) -> (String, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host.to_ascii_lowercase(), port);
        }
    }
    match s.rsplit_once(':') {
        // One colon: host and port; several: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_ascii_lowercase(), Some(p)),
            Err(_) => (s.to_ascii_lowercase(), None),
        },
        _ => (s.to_ascii_lowercase(), None),
    }
}

fn matches(c: &RootCause, (host, port): &(String, Option<u16>)) -> bool {
    let Some(sv) = &c.server else {
        return false;
    };
    let host_ok = sv.ip.eq_ignore_ascii_case(host)
        || sv.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(host));
    host_ok && port.is_none_or(|p| sv.port == Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_filters_parse_hosts_ports_and_ipv6() {
        assert_eq!(parse_server("10.0.0.5"), ("10.0.0.5".into(), None));
        assert_eq!(parse_server("10.0.0.5:443"), ("10.0.0.5".into(), Some(443)));
        assert_eq!(parse_server("Api.Example:8081"), ("api.example".into(), Some(8081)));
        assert_eq!(parse_server("fd77::1"), ("fd77::1".into(), None));
        assert_eq!(parse_server("[fd77::1]:80"), ("fd77::1".into(), Some(80)));
    }
}
