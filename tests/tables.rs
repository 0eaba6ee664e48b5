//! `--export`: the four tables of real captures written as CSV (and Parquet with the
//! `parquet` feature), read back and checked against the report, several captures side by
//! side in one directory; `docs/tables.md` generated from the column declarations.

use std::path::{Path, PathBuf};

use pcap_rca::{Analysis, Config, Input, Report, TableFormat};

const CAPTURES: &[&str] = &[
    "fixtures/links/vip-failover.pcap",
    "fixtures/links/dns-tcp-blocked.pcap",
    "fixtures/tls-expired-intermediate.pcap",
];

fn analyse(rel: &str) -> (Analysis, Report) {
    let mut cfg = Config::default();
    cfg.threads = 2;
    let an = pcap_rca::analyze_inputs(&[Input::Path(PathBuf::from(rel))], &cfg).unwrap();
    let r = an.report();
    (an, r)
}

/// Rows of `table` in the files of `dir`, per capture name.
fn csv_rows(dir: &Path, table: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(table))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let mut r = csv::Reader::from_path(&f).unwrap();
        let headers = r.headers().unwrap().clone();
        assert_eq!(&headers[0], "capture");
        assert_eq!(&headers[1], "capture_start");
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        let capture = rows.first().map_or(String::new(), |x| x[0].to_string());
        out.push((capture, rows.len()));
    }
    out
}

#[test]
fn csv_tables_round_trip_and_several_captures_add_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut want: Vec<(String, [usize; 4])> = Vec::new();
    for rel in CAPTURES {
        let (an, r) = analyse(rel);
        let files = an.export_tables(&r, dir.path(), TableFormat::Csv).unwrap();
        assert_eq!(files.len(), 4);
        let tables = an.tables(&r);
        let events = tables.iter().find(|t| t.name == "events").unwrap().rows();
        want.push((
            rel.to_string(),
            [
                an.flows().len(),
                r.findings.len(),
                r.root_causes.len(),
                events,
            ],
        ));
    }
    want.sort();
    for (k, table) in ["flows", "findings", "root_causes", "events"]
        .iter()
        .enumerate()
    {
        let mut got = csv_rows(dir.path(), table);
        got.sort();
        // One file per capture: nothing was overwritten.
        assert_eq!(got.len(), CAPTURES.len(), "{table}: {got:?}");
        for ((file, rows), (want_file, counts)) in got.iter().zip(&want) {
            if *rows > 0 {
                assert_eq!(file, want_file, "{table}");
            }
            assert_eq!(*rows, counts[k], "{table} of {want_file}");
        }
    }
}

#[test]
fn events_hold_the_lookups_requests_and_handshakes() {
    let (an, r) = analyse("fixtures/links/dns-tcp-blocked.pcap");
    let tables = an.tables(&r);
    let ev = tables.iter().find(|t| t.name == "events").unwrap();
    let kind = ev.columns.iter().find(|c| c.name == "kind").unwrap();
    let dns = (0..ev.rows())
        .filter(|&i| kind.values.text(i) == "dns")
        .count();
    assert_eq!(dns, 5, "five lookups in dns-tcp-blocked");
    let rc = tables.iter().find(|t| t.name == "root_causes").unwrap();
    assert_eq!(rc.rows(), r.root_causes.len());
}

#[test]
fn the_tables_documentation_is_current() {
    let (an, r) = analyse(CAPTURES[0]);
    let got = pcap_rca::tables_documentation(&an.tables(&r));
    let path = Path::new("docs/tables.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        got == want,
        "docs/tables.md is stale: run UPDATE_GOLDEN=1 cargo test --test tables"
    );
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_tables_read_back_with_polars() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let (an, r) = analyse(CAPTURES[0]);
    let files = an
        .export_tables(&r, dir.path(), TableFormat::Parquet)
        .unwrap();
    let counts = [an.flows().len(), r.findings.len(), r.root_causes.len()];
    for (f, want) in files.iter().zip(counts) {
        let df = ParquetReader::new(std::fs::File::open(f).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height(), want, "{}", f.display());
        assert!(matches!(
            df.column("capture_start").unwrap().dtype(),
            DataType::Datetime(TimeUnit::Nanoseconds, _)
        ));
    }
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_feature_parquet_export_says_how_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let (an, r) = analyse(CAPTURES[0]);
    let e = an
        .export_tables(&r, dir.path(), TableFormat::Parquet)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--features parquet"), "{e}");
}
