//! The analysis as tables, for analysts (polars, DuckDB, Spark): `flows`, `findings`,
//! `root_causes` and `events` (DNS, HTTP, TLS handshakes, ARP, ICMP errors). Every row
//! carries the capture's file name and first timestamp, so the tables of many captures can
//! be queried together; [`export`] writes one file per table and capture
//! (`DIR/TABLE/STEM-START.csv` or `.parquet`), so exporting several captures into one
//! directory adds files and never overwrites another capture's.
//!
//! Columns, types and units are declared once, here; `docs/tables.md` is generated from
//! these declarations (a test keeps it current).

use std::path::{Path, PathBuf};

use crate::analysis::Analysis;
use crate::detect::dns::transactions;
use crate::rank::RootCause;

use super::Report;

/// A column's values (`None` is a null).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// UTF-8 text.
    Str(Vec<Option<String>>),
    /// 64-bit integers.
    Int(Vec<Option<i64>>),
    /// 64-bit floats.
    Float(Vec<Option<f64>>),
    /// Instants: ns since the Unix epoch, UTC.
    Time(Vec<Option<i64>>),
}

impl Values {
    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Str(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Time(v) => v.len(),
        }
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name in the documentation.
    pub fn type_name(&self) -> &'static str {
        match self {
            Values::Str(_) => "string",
            Values::Int(_) => "int64",
            Values::Float(_) => "float64",
            Values::Time(_) => "timestamp (ns, UTC)",
        }
    }

    /// Row `i` as CSV text (empty for null; instants in RFC 3339).
    pub fn text(&self, i: usize) -> String {
        match self {
            Values::Str(v) => v[i].clone().unwrap_or_default(),
            Values::Int(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
            Values::Float(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
            Values::Time(v) => v[i].map(crate::units::rfc3339).unwrap_or_default(),
        }
    }
}

/// One column: its name, unit, meaning and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name (snake_case, stable).
    pub name: &'static str,
    /// Unit, or empty.
    pub unit: &'static str,
    /// What it holds.
    pub doc: &'static str,
    /// The values.
    pub values: Values,
}

/// One table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// `flows`, `findings`, `root_causes` or `events`.
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// Columns, all of the same length.
    pub columns: Vec<Column>,
}

impl Table {
    /// Rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }
}

/// Columns being filled row by row.
struct Builder<T> {
    /// (name, unit, doc, getter)
    cols: Vec<ColumnSpec<T>>,
}

/// A column's name, unit, meaning and getter.
type ColumnSpec<T> = (&'static str, &'static str, &'static str, Getter<T>);

/// A function from a row's source to a column's value.
type Get<T, V> = Box<dyn Fn(&T) -> Option<V>>;

/// How a column gets its value from a row's source.
enum Getter<T> {
    Str(Get<T, String>),
    Int(Get<T, i64>),
    Float(Get<T, f64>),
    Time(Get<T, i64>),
}

impl<T> Builder<T> {
    fn new() -> Self {
        Builder { cols: Vec::new() }
    }

    fn str(mut self, n: &'static str, doc: &'static str, f: impl Fn(&T) -> Option<String> + 'static) -> Self {
        self.cols.push((n, "", doc, Getter::Str(Box::new(f))));
        self
    }

    fn int(mut self, n: &'static str, unit: &'static str, doc: &'static str, f: impl Fn(&T) -> Option<i64> + 'static) -> Self {
        self.cols.push((n, unit, doc, Getter::Int(Box::new(f))));
        self
    }

    fn float(mut self, n: &'static str, unit: &'static str, doc: &'static str, f: impl Fn(&T) -> Option<f64> + 'static) -> Self {
        self.cols.push((n, unit, doc, Getter::Float(Box::new(f))));
        self
    }

    fn time(mut self, n: &'static str, doc: &'static str, f: impl Fn(&T) -> Option<i64> + 'static) -> Self {
        self.cols.push((n, "ns since the epoch, UTC", doc, Getter::Time(Box::new(f))));
        self
    }

    /// The table of `rows`, every row prefixed with the capture's file and start.
    fn build(self, name: &'static str, doc: &'static str, capture: &Capture, rows: &[T]) -> Table {
        let n = rows.len();
        let mut columns = vec![
            Column {
                name: "capture",
                unit: "",
                doc: "the capture file, as given",
                values: Values::Str(vec![Some(capture.file.clone()); n]),
            },
            Column {
                name: "capture_start",
                unit: "ns since the epoch, UTC",
                doc: "the capture's first packet",
                values: Values::Time(vec![capture.start; n]),
            },
        ];
        for (name, unit, doc, g) in self.cols {
            let values = match g {
                Getter::Str(f) => Values::Str(rows.iter().map(&*f).collect()),
                Getter::Int(f) => Values::Int(rows.iter().map(&*f).collect()),
                Getter::Float(f) => Values::Float(rows.iter().map(&*f).collect()),
                Getter::Time(f) => Values::Time(rows.iter().map(&*f).collect()),
            };
            columns.push(Column { name, unit, doc, values });
        }
        Table { name, doc, columns }
    }
}

/// The capture every row names.
#[derive(Debug, Clone)]
struct Capture {
    file: String,
    start: Option<i64>,
}

/// Every table of an analysis and its report. Several captures analysed as one incident are
/// named together (`a.pcap+b.pcap`), starting at the first's first packet.
pub fn tables(an: &Analysis, r: &Report) -> Vec<Table> {
    let capture = Capture {
        file: r.captures.iter().map(|c| c.file.as_str()).collect::<Vec<_>>().join("+"),
        start: an.captures.iter().filter_map(|c| c.first_ts_ns).min(),
    };
    vec![
        flows(an, &capture),
        findings(r, &capture),
        root_causes(r, &capture),
        events(an, &capture),
    ]
}

fn flows(an: &Analysis, capture: &Capture) -> Table {
    type C = crate::flow::Conn;
    Builder::<C>::new()
        .time("ts", "first packet of the connection", |c: &C| Some(c.first_ts_ns))
        .int("first_frame", "", "its frame number, as Wireshark numbers it", |c: &C| Some(c.first_frame as i64))
        .str("proto", "tcp, udp or icmp", |c: &C| Some(c.proto.as_str().to_string()))
        .str("orig_ip", "originator (client) address", |c: &C| Some(c.orig_ip.to_string()))
        .int("orig_port", "", "originator port", |c: &C| Some(c.orig_port as i64))
        .str("resp_ip", "responder (server) address", |c: &C| Some(c.resp_ip.to_string()))
        .int("resp_port", "", "responder port", |c: &C| Some(c.resp_port as i64))
        .float("duration", "s", "last packet minus first", |c: &C| Some(c.duration_s))
        .int("orig_pkts", "packets", "sent by the originator", |c: &C| Some(c.orig_pkts as i64))
        .int("resp_pkts", "packets", "sent by the responder", |c: &C| Some(c.resp_pkts as i64))
        .int("orig_bytes", "bytes", "payload sent by the originator", |c: &C| Some(c.orig_bytes as i64))
        .int("resp_bytes", "bytes", "payload sent by the responder", |c: &C| Some(c.resp_bytes as i64))
        .str("conn_state", "Zeek's conn_state (S0, SF, REJ, RSTO ...)", |c: &C| Some(c.conn_state.as_str().to_string()))
        .str("history", "Zeek's history letters", |c: &C| Some(c.history.as_str().to_string()))
        .int("missed_bytes", "bytes", "acknowledged but not in the capture", |c: &C| Some(c.missed_bytes as i64))
        .int("retransmissions", "packets", "retransmitted segments, both directions", |c: &C| {
            Some(c.orig_retransmissions as i64 + c.resp_retransmissions as i64)
        })
        .int("flows", "connections", "connections the row stands for (more than 1 when folded)", |c: &C| Some(c.weight() as i64))
        .build("flows", "one connection (or one folded group of connections), like Zeek's conn.log", capture, &an.flows)
}

fn server_cols<T: 'static>(b: Builder<T>, server: fn(&T) -> Option<&crate::detect::finding::Server>) -> Builder<T> {
    b.str("server_ip", "the server or host it is about", move |x: &T| server(x).map(|s| s.ip.clone()))
        .int("server_port", "", "its port, when about one service", move |x: &T| server(x).and_then(|s| s.port.map(i64::from)))
        .str("server_name", "a name for it seen in the capture", move |x: &T| server(x).and_then(|s| s.name.clone()))
}

fn findings(r: &Report, capture: &Capture) -> Table {
    type F = (crate::detect::finding::Finding, Option<u32>);
    let rows: Vec<F> = r
        .findings
        .iter()
        .map(|f| {
            let rank = r.root_causes.iter().find(|c| c.findings.contains(&f.id)).map(|c| c.rank);
            (f.clone(), rank)
        })
        .collect();
    let b = Builder::<F>::new()
        .str("id", "finding id (detector#n)", |x: &F| Some(x.0.id.clone()))
        .str("detector", "the detector", |x: &F| Some(x.0.detector.clone()))
        .str("cause", "cause, from the report contract", |x: &F| Some(x.0.cause.clone()))
        .str("layer", "network, transport, application, security or capture", |x: &F| Some(format!("{:?}", x.0.layer).to_lowercase()))
        .str("severity", "info, low, medium, high or critical", |x: &F| Some(x.0.severity.as_str().to_string()))
        .float("confidence", "0-1", "how sure the detector is", |x: &F| Some(x.0.confidence))
        .str("title", "one line: what is wrong, where", |x: &F| Some(x.0.title.clone()));
    server_cols(b, |x: &F| x.0.server.as_ref())
        .int("clients", "hosts", "clients affected", |x: &F| Some(x.0.clients_total.unwrap_or(x.0.clients.len() as u64) as i64))
        .int("affected_flows", "connections", "connections affected", |x: &F| Some(x.0.affected_flows as i64))
        .time("first_ts", "first time it shows", |x: &F| Some(x.0.first_ts_ns))
        .time("last_ts", "last time it shows", |x: &F| Some(x.0.last_ts_ns))
        .str("evidence_frames", "its evidence frames, comma separated", |x: &F| {
            Some(x.0.evidence.iter().map(|e| e.frame.to_string()).collect::<Vec<_>>().join(","))
        })
        .int("root_cause_rank", "", "rank of the root cause it belongs to", |x: &F| x.1.map(i64::from))
        .build("findings", "one detector finding", capture, &rows)
}

fn root_causes(r: &Report, capture: &Capture) -> Table {
    type R = RootCause;
    let b = Builder::<R>::new()
        .int("rank", "", "position in the ranking, from 1", |c: &R| Some(c.rank as i64))
        .str("cause", "cause, from the report contract", |c: &R| Some(c.cause.clone()))
        .str("layer", "network, transport, application, security or capture", |c: &R| Some(format!("{:?}", c.layer).to_lowercase()))
        .str("severity", "info, low, medium, high or critical", |c: &R| Some(c.severity.as_str().to_string()))
        .float("confidence", "0-1", "how sure", |c: &R| Some(c.confidence))
        .float("score", "0-120", "the ranking score", |c: &R| Some(c.score))
        .str("title", "one line: what is wrong, where", |c: &R| Some(c.title.clone()));
    server_cols(b, |c: &R| c.server.as_ref())
        .int("clients", "hosts", "clients affected", |c: &R| Some(c.clients_total.unwrap_or(c.clients.len() as u64) as i64))
        .int("affected_flows", "connections", "connections affected", |c: &R| Some(c.affected_flows as i64))
        .time("first_ts", "first time it shows", |c: &R| crate::units::parse_rfc3339(&c.first_ts))
        .time("last_ts", "last time it shows", |c: &R| crate::units::parse_rfc3339(&c.last_ts))
        .int("consequences", "findings", "findings it explains", |c: &R| Some(c.consequences.len() as i64))
        .str("findings", "ids of its findings, comma separated, the explaining one first", |c: &R| Some(c.findings.join(",")))
        .str("wireshark_filter", "display filter showing the evidence", |c: &R| Some(c.wireshark_filter.clone()))
        .build("root_causes", "one ranked root cause", capture, &r.root_causes)
}

/// One event row (see [`events`]).
#[derive(Debug, Clone, Default)]
struct Event {
    kind: &'static str,
    ts: i64,
    frame: u64,
    client: String,
    client_port: Option<u16>,
    server: String,
    server_port: Option<u16>,
    what: String,
    code: Option<i64>,
    outcome: String,
    wait_ns: Option<i64>,
    answer_frame: Option<u64>,
}

fn events(an: &Analysis, capture: &Capture) -> Table {
    let mut rows: Vec<Event> = Vec::new();
    let (txns, _) = transactions(an);
    for t in &txns {
        let (code, outcome) = match t.r {
            Some(r) => (Some(r.msg.rcode as i64), crate::decode::dns::rcode_name(r.msg.rcode)),
            None => (None, "no answer".to_string()),
        };
        rows.push(Event {
            kind: "dns",
            ts: t.q.ts_ns,
            frame: t.q.frame,
            client: t.q.src.to_string(),
            client_port: Some(t.q.src_port),
            server: t.q.dst.to_string(),
            server_port: Some(t.q.dst_port),
            what: format!("{} {}", t.q.msg.qname, crate::decode::dns::qtype_name(t.q.msg.qtype)),
            code,
            outcome,
            wait_ns: t.r.map(|r| r.ts_ns.saturating_sub(t.q.ts_ns)),
            answer_frame: t.r.map(|r| r.frame),
        });
    }
    for e in &an.http {
        rows.push(Event {
            kind: "http",
            ts: e.req_ts_ns,
            frame: e.req_frame,
            client: e.client.to_string(),
            client_port: Some(e.client_port),
            server: e.server.to_string(),
            server_port: Some(e.server_port),
            what: format!("{} {}", e.method, e.uri),
            code: e.status.map(i64::from),
            outcome: e.reason.clone().unwrap_or_else(|| if e.status.is_none() { "no response".into() } else { String::new() }),
            wait_ns: e.resp_ts_ns.map(|r| r.saturating_sub(e.req_ts_ns)),
            answer_frame: e.resp_frame,
        });
    }
    for s in &an.tls {
        let fatal = s.alerts.iter().find(|a| a.level == crate::decode::tls::alert::FATAL);
        let done = fatal.is_none() && s.client_encrypted > 0 && s.server_encrypted > 0;
        rows.push(Event {
            kind: "tls",
            ts: s.first_ts_ns,
            frame: s.client_hello_frame.unwrap_or(s.first_frame),
            client: s.client.to_string(),
            client_port: Some(s.client_port),
            server: s.server.to_string(),
            server_port: Some(s.server_port),
            what: s.offer.as_ref().and_then(|o| o.sni.clone()).unwrap_or_default(),
            code: fatal.map(|a| a.description as i64),
            outcome: match (fatal, done) {
                (Some(a), _) => format!("alert {} from the {}", a.description, if a.by_server { "server" } else { "client" }),
                (None, true) => "completed".into(),
                (None, false) => "incomplete".into(),
            },
            wait_ns: None,
            answer_frame: s.server_hello.map(|h| h.0),
        });
    }
    for a in &an.arp {
        rows.push(Event {
            kind: "arp",
            ts: a.ts_ns,
            frame: a.frame,
            client: a.sender_ip.to_string(),
            server: a.target_ip.to_string(),
            what: crate::detect::arp::mac(&a.sender_mac),
            code: Some(a.op as i64),
            outcome: if a.op == crate::decode::arp::REQUEST { "request".into() } else { "reply".into() },
            ..Event::default()
        });
    }
    for e in &an.icmp_errors {
        rows.push(Event {
            kind: "icmp",
            ts: e.ts_ns,
            frame: e.frame,
            client: e.dst.to_string(),
            server: e.src.to_string(),
            what: format!("type {} code {}", e.icmp.icmp_type, e.icmp.code),
            code: Some(e.icmp.icmp_type as i64 * 256 + e.icmp.code as i64),
            outcome: String::new(),
            ..Event::default()
        });
    }
    rows.sort_by(|a, b| (a.ts, a.frame, a.kind).cmp(&(b.ts, b.frame, b.kind)));
    type E = Event;
    Builder::<E>::new()
        .str("kind", "dns, http, tls, arp or icmp", |e: &E| Some(e.kind.to_string()))
        .time("ts", "the query, request, handshake start or packet", |e: &E| Some(e.ts))
        .int("frame", "", "its frame number, as Wireshark numbers it", |e: &E| Some(e.frame as i64))
        .str("client", "client address (ARP: sender; ICMP: the host the error went to)", |e: &E| Some(e.client.clone()))
        .int("client_port", "", "client port", |e: &E| e.client_port.map(i64::from))
        .str("server", "server address (ARP: the address asked for; ICMP: the error's sender)", |e: &E| Some(e.server.clone()))
        .int("server_port", "", "server port", |e: &E| e.server_port.map(i64::from))
        .str("what", "DNS name and type, HTTP method and URI, TLS SNI, ARP sender MAC, ICMP type and code", |e: &E| Some(e.what.clone()))
        .int("code", "", "DNS rcode, HTTP status, TLS fatal alert, ARP operation, ICMP type*256+code", |e: &E| e.code)
        .str("outcome", "rcode name, reason phrase, alert, request/reply", |e: &E| Some(e.outcome.clone()))
        .float("wait", "ms", "time to the answer (DNS, HTTP)", |e: &E| e.wait_ns.map(|w| w as f64 / 1e6))
        .int("answer_frame", "", "frame of the answer (DNS response, HTTP response head, TLS ServerHello); a reassembled answer is in its last fragment's frame, as in Wireshark", |e: &E| e.answer_frame.map(|f| f as i64))
        .build("events", "one DNS lookup, HTTP request, TLS handshake, ARP packet or ICMP error", capture, &rows)
}

/// File formats for `Analysis::export_tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row; instants in RFC 3339.
    Csv,
    /// Apache Parquet (cargo feature `parquet`), instants as timestamps in ns.
    Parquet,
}

/// The file a table of this capture goes to: `DIR/TABLE/STEM-START.EXT`, unique per capture
/// and its first packet, so several captures export side by side.
pub fn file_for(dir: &Path, table: &Table, format: TableFormat) -> PathBuf {
    let capture = match &table.columns[0].values {
        Values::Str(v) => v.first().cloned().flatten(),
        _ => None,
    };
    let start = match &table.columns[1].values {
        Values::Time(v) => v.first().copied().flatten(),
        _ => None,
    };
    let stem: String = capture
        .as_deref()
        .map(|c| {
            c.split('+')
                .map(|p| Path::new(p).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("+")
        })
        .unwrap_or_else(|| "capture".into())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.+".contains(c) { c } else { '_' })
        .collect();
    let when = start.map_or("0".to_string(), |t| t.to_string());
    let ext = match format {
        TableFormat::Csv => "csv",
        TableFormat::Parquet => "parquet",
    };
    dir.join(table.name).join(format!("{stem}-{when}.{ext}"))
}

/// Writes `tables` under `dir`, one file per table; returns the files written.
pub fn export(dir: &Path, tables: &[Table], format: TableFormat) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for t in tables {
        let path = file_for(dir, t, format);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        match format {
            TableFormat::Csv => write_csv(t, &path)?,
            TableFormat::Parquet => write_parquet(t, &path)?,
        }
        out.push(path);
    }
    Ok(out)
}

fn write_csv(t: &Table, path: &Path) -> Result<(), String> {
    let err = |e: csv::Error| format!("{}: {e}", path.display());
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(t.columns.iter().map(|c| c.name)).map_err(err)?;
    for i in 0..t.rows() {
        w.write_record(t.columns.iter().map(|c| csv_cell(&c.values, i)))
            .map_err(err)?;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

/// Row `i` of a column as a CSV cell. Text that a spreadsheet would take for a formula (it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's list for CSV
/// injection) gets a leading `'`, so a DNS name or URI off the wire such as
/// `=HYPERLINK(...)` is shown, never evaluated. Numbers and instants are never changed.
fn csv_cell(v: &Values, i: usize) -> String {
    let text = v.text(i);
    match v {
        Values::Str(_) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{text}"),
        _ => text,
    }
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &Table, _: &Path) -> Result<(), String> {
    Err("this pcap-rca was built without Parquet support: rebuild with \
         `cargo build --release --features parquet`, or export CSV with --export-format csv"
        .into())
}

#[cfg(feature = "parquet")]
fn write_parquet(t: &Table, path: &Path) -> Result<(), String> {
    use polars::prelude::{
        DataFrame, DataType, NamedFrom, ParquetWriter, PlSmallStr, PolarsError, Series, TimeUnit,
        TimeZone,
    };
    let err = |e: PolarsError| format!("{}: {e}", path.display());
    let mut cols: Vec<polars::prelude::Column> = Vec::new();
    for c in &t.columns {
        let name = PlSmallStr::from_static(c.name);
        let s = match &c.values {
            Values::Str(v) => Series::new(name, v.clone()),
            Values::Int(v) => Series::new(name, v.clone()),
            Values::Float(v) => Series::new(name, v.clone()),
            Values::Time(v) => Series::new(name, v.clone())
                .cast(&DataType::Datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC)))
                .map_err(err)?,
        };
        cols.push(s.into());
    }
    let mut df = DataFrame::new(t.rows(), cols).map_err(err)?;
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ParquetWriter::new(file).finish(&mut df).map_err(err)?;
    Ok(())
}

/// The Markdown documentation of the tables' columns (`docs/tables.md`).
pub fn documentation(tables: &[Table]) -> String {
    let mut o = String::from(
        "# Tables\n\n`pcap-rca analyze CAPTURE --export DIR` writes the analysis as four tables, one \
         file per table and capture: `DIR/TABLE/STEM-START.parquet` (cargo feature `parquet`) or \
         `.csv` (`--export-format csv`). STEM is the capture's file name without extension, START \
         its first packet in ns since the epoch: exporting several captures into one directory adds \
         files, so `pl.scan_parquet(\"DIR/flows/*.parquet\")` (or DuckDB's \
         `read_parquet('DIR/flows/*.parquet')`) reads a whole incident folder. In CSV, instants are \
         RFC 3339 text, nulls are empty, and text that a spreadsheet would run as a formula (it \
         begins with `=`, `+`, `-`, `@`, a tab or a carriage return) starts with `'`. Generated from `src/report/tables.rs`; do not edit.\n",
    );
    for t in tables {
        o.push_str(&format!("\n## `{}`\n\nOne row: {}.\n\n| column | type | unit | meaning |\n|---|---|---|---|\n", t.name, t.doc));
        for c in &t.columns {
            o.push_str(&format!("| `{}` | {} | {} | {} |\n", c.name, c.values.type_name(), c.unit, c.doc));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_cannot_be_a_formula() {
        let v = Values::Str(vec![
            Some("=HYPERLINK(\"http://x\")".into()),
            Some("+1".into()),
            Some("-2".into()),
            Some("@SUM(A1)".into()),
            Some("\tx".into()),
            Some("example.com".into()),
            None,
        ]);
        let cells: Vec<String> = (0..v.len()).map(|i| csv_cell(&v, i)).collect();
        assert_eq!(
            cells,
            ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "example.com", ""]
        );
        let n = Values::Int(vec![Some(-5)]);
        assert_eq!(csv_cell(&n, 0), "-5", "numbers stay numbers");
    }

    #[test]
    fn file_names_are_unique_per_capture_and_safe() {
        let t = Table {
            name: "flows",
            doc: "",
            columns: vec![
                Column {
                    name: "capture",
                    unit: "",
                    doc: "",
                    values: Values::Str(vec![Some("../x/a b.pcap+c.pcapng".into())]),
                },
                Column {
                    name: "capture_start",
                    unit: "",
                    doc: "",
                    values: Values::Time(vec![Some(42)]),
                },
            ],
        };
        assert_eq!(
            file_for(Path::new("/o"), &t, TableFormat::Csv),
            PathBuf::from("/o/flows/a_b+c-42.csv")
        );
    }
}
