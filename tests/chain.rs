//! Certificate chain logic on real certificates: built here with rcgen (ECDSA P-256/P-384,
//! Ed25519) and read from `fixtures/certs` (RSA, made by `openssl ca`), whose verdicts are
//! checked against the `openssl verify -attime` results recorded in `fixtures/certs/verify.txt`.

use std::path::Path;

use pcap_rca::cert::{
    CertInfo, ChainEnd, SigCheck, TrustStore, hostname_matches, parse_cert, verify_signature,
    walk_chain,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, SignatureAlgorithm,
};

fn params(cn: &str, ca: bool, names: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    p.use_authority_key_identifier_extension = true;
    p
}

fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::generate_for(alg).unwrap()
}

fn info(der: &[u8]) -> CertInfo {
    parse_cert(der).expect("a certificate")
}

struct Pki {
    root: CertInfo,
    inter: CertInfo,
    leaf: CertInfo,
    store: TrustStore,
}

/// Root (P-256) → intermediate (P-384) → leaf (Ed25519).
fn pki() -> Pki {
    let root =
        CertifiedIssuer::self_signed(params("Test Root", true, &[]), key(&PKCS_ECDSA_P256_SHA256))
            .unwrap();
    let inter = CertifiedIssuer::signed_by(
        params("Test Intermediate", true, &[]),
        key(&PKCS_ECDSA_P384_SHA384),
        &root,
    )
    .unwrap();
    let leaf_key = key(&PKCS_ED25519);
    let leaf = params("fpdk.example", false, &["fpdk.example"])
        .signed_by(&leaf_key, &inter)
        .unwrap();
    let mut store = TrustStore::default();
    store.add(info(root.der()));
    Pki {
        root: info(root.der()),
        inter: info(inter.der()),
        leaf: info(leaf.der()),
        store,
    }
}

#[test]
fn signatures_verify_for_each_supported_algorithm() {
    let p = pki();
    assert_eq!(p.root.curve, Some("P-256"));
    assert_eq!(p.inter.curve, Some("P-384"));
    assert_eq!(p.leaf.key_alg, "Ed25519");
    // P-256 signs the P-384 intermediate; P-384 signs the leaf (ECDSA with SHA-384).
    assert_eq!(verify_signature(&p.inter, &p.root), SigCheck::Valid);
    assert_eq!(verify_signature(&p.leaf, &p.inter), SigCheck::Valid);
    assert_eq!(verify_signature(&p.leaf, &p.root), SigCheck::Invalid);
    assert_eq!(
        walk_chain(&[p.leaf.clone(), p.inter.clone()], &p.store),
        Some(ChainEnd::Trusted)
    );
    // Any order, and the root sent along.
    assert_eq!(
        walk_chain(&[p.leaf.clone(), p.root.clone(), p.inter.clone()], &p.store),
        Some(ChainEnd::Trusted)
    );
    assert!(hostname_matches("fpdk.example", &p.leaf));
}

#[test]
fn ed25519_issuer_and_key_identifiers() {
    let root =
        CertifiedIssuer::self_signed(params("Ed Root", true, &[]), key(&PKCS_ED25519)).unwrap();
    let leaf_key = key(&PKCS_ECDSA_P256_SHA256);
    let leaf = params("x.example", false, &["x.example"])
        .signed_by(&leaf_key, &root)
        .unwrap();
    let (root, leaf) = (info(root.der()), info(leaf.der()));
    assert_eq!(verify_signature(&leaf, &root), SigCheck::Valid);
    assert!(root.subject_key_id.is_some());
    assert_eq!(leaf.authority_key_id, root.subject_key_id);
}

#[test]
fn a_rekeyed_intermediate_with_the_same_name_is_a_broken_chain() {
    let p = pki();
    // Same name as the real intermediate, another key, also signed by the root.
    let root = CertifiedIssuer::self_signed(
        params("Other Root", true, &[]),
        key(&PKCS_ECDSA_P256_SHA256),
    )
    .unwrap();
    let impostor = CertifiedIssuer::signed_by(
        params("Test Intermediate", true, &[]),
        key(&PKCS_ECDSA_P256_SHA256),
        &root,
    )
    .unwrap();
    let impostor = info(impostor.der());
    assert_eq!(impostor.subject, p.inter.subject);
    assert_eq!(verify_signature(&p.leaf, &impostor), SigCheck::Invalid);
    match walk_chain(&[p.leaf.clone(), impostor.clone()], &p.store) {
        Some(ChainEnd::BadSignature {
            depth: 0,
            issuer,
            key_id_differs: true,
            ..
        }) => assert_eq!(issuer, p.inter.subject),
        other => panic!("{other:?}"),
    }
    // Both sent: the one that verifies wins.
    assert_eq!(
        walk_chain(&[p.leaf.clone(), impostor, p.inter.clone()], &p.store),
        Some(ChainEnd::Trusted)
    );
}

#[test]
fn a_tampered_certificate_does_not_verify() {
    let p = pki();
    let mut forged = p.leaf.clone();
    // Same signature over different contents (say, another name).
    let at = forged.tbs.len() - 5;
    forged.tbs[at] ^= 1;
    assert_eq!(verify_signature(&forged, &p.inter), SigCheck::Invalid);
    assert!(matches!(
        walk_chain(&[forged, p.inter.clone()], &p.store),
        Some(ChainEnd::BadSignature { depth: 0, .. })
    ));
    let mut bad_sig = p.inter.clone();
    let n = bad_sig.signature.len();
    bad_sig.signature[n / 2] ^= 0x40;
    assert!(matches!(
        walk_chain(&[p.leaf.clone(), bad_sig], &p.store),
        Some(ChainEnd::BadSignature { depth: 1, .. })
    ));
}

#[test]
fn missing_intermediate_untrusted_root_and_unknown_ca() {
    let p = pki();
    assert_eq!(
        walk_chain(std::slice::from_ref(&p.leaf), &p.store),
        Some(ChainEnd::MissingIssuer {
            depth: 0,
            issuer: p.inter.subject.clone()
        })
    );
    let empty = TrustStore::default();
    assert_eq!(
        walk_chain(&[p.leaf.clone(), p.inter.clone()], &empty),
        Some(ChainEnd::MissingIssuer {
            depth: 1,
            issuer: p.root.subject.clone()
        })
    );
    assert_eq!(
        walk_chain(&[p.leaf.clone(), p.inter.clone(), p.root.clone()], &empty),
        Some(ChainEnd::UntrustedRoot(p.root.subject.clone()))
    );
}

// ---- the fixture PKI against openssl verify -attime ----

fn certs_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/certs"))
}

fn pem_certs(name: &str) -> Vec<CertInfo> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let pem = std::fs::read(certs_dir().join(name)).unwrap();
    CertificateDer::pem_slice_iter(&pem)
        .map(|d| info(d.unwrap().as_ref()))
        .collect()
}

/// What `openssl verify` would say, from our chain walk, dates and name check: "OK" or
/// "error N at D". OpenSSL builds the chain first (20, 18, 19), checks the host name (62)
/// and key strength (66), then signatures (7) and dates (9, 10) from the root down.
fn our_verdict(args: &[&str]) -> String {
    let mut store = TrustStore::default();
    let mut chain = Vec::new();
    let mut at = 0i64;
    let mut host = None;
    let mut auth_level = 1;
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-CAfile" => {
                for c in pem_certs(args[i + 1]) {
                    store.add(c);
                }
                i += 1;
            }
            "-untrusted" => {
                chain.extend(pem_certs(args[i + 1]));
                i += 1;
            }
            "-attime" => {
                at = args[i + 1].parse().unwrap();
                i += 1;
            }
            "-verify_hostname" => {
                host = Some(args[i + 1]);
                i += 1;
            }
            "-auth_level" => {
                auth_level = args[i + 1].parse().unwrap();
                i += 1;
            }
            "-purpose" | "-vfyopt" => i += 1,
            file => {
                let mut leaf = pem_certs(file);
                leaf.append(&mut chain);
                chain = leaf;
            }
        }
        i += 1;
    }
    let path_len = match walk_chain(&chain, &store) {
        Some(ChainEnd::Trusted) => chain.len(),
        Some(ChainEnd::MissingIssuer { depth, .. }) => return format!("error 20 at {depth}"),
        // A self-signed leaf is its own (untrusted) root, whatever else is in the pool.
        Some(ChainEnd::UntrustedRoot(_)) if chain[0].self_issued => return "error 18 at 0".into(),
        Some(ChainEnd::UntrustedRoot(_)) => return format!("error 19 at {}", chain.len() - 1),
        Some(ChainEnd::BadSignature { depth, .. }) => return format!("error 7 at {depth}"),
        None => return "no certificate".into(),
    };
    if let Some(h) = host {
        if !hostname_matches(h, &chain[0]) {
            return "error 62 at 0".into();
        }
    }
    if auth_level >= 2 && chain[0].key_alg == "RSA" && chain[0].key_bits < Some(2048) {
        return "error 66 at 0".into();
    }
    for depth in (0..path_len).rev() {
        let c = &chain[depth];
        if at < c.not_before {
            return format!("error 9 at {depth}");
        }
        if at > c.not_after {
            return format!("error 10 at {depth}");
        }
    }
    "OK".into()
}

/// OpenSSL's verdict from its output: "OK" or the first "error N at D depth".
fn openssl_verdict(output: &str) -> String {
    for line in output.lines() {
        if line.ends_with(": OK") {
            return "OK".into();
        }
        if let Some(rest) = line.strip_prefix("error ") {
            let mut w = rest.split_whitespace();
            if let (Some(n), Some("at"), Some(d)) = (w.next(), w.next(), w.next()) {
                return format!("error {n} at {d}");
            }
        }
    }
    format!("unparsed: {output}")
}

#[test]
fn fixture_chains_agree_with_openssl_verify_attime() {
    let text = std::fs::read_to_string(certs_dir().join("verify.txt")).unwrap();
    let mut checked = 0;
    for block in text.split("\n## ").skip(1) {
        let mut lines = block.lines();
        let label = lines.next().unwrap_or_default();
        let Some(cmd) = lines
            .next()
            .and_then(|l| l.strip_prefix("$ openssl verify "))
        else {
            continue;
        };
        let output: String = lines.collect::<Vec<_>>().join("\n");
        let args: Vec<&str> = cmd.split_whitespace().collect();
        // Certificates our chain logic does not judge (SM2 signatures, client purpose) are
        // still parsed; only their verdict is compared where OpenSSL could give one.
        // SM2 signatures are not verified here (ring has none): skip OpenSSL's verdicts
        // that depend on its SM2 distinguishing-ID setting (error 7 without -vfyopt).
        let sm2 = args.last().is_some_and(|f| f.starts_with("sm2-"));
        if sm2 && !args.contains(&"-vfyopt") {
            continue;
        }
        let theirs = openssl_verdict(&output);
        if theirs.starts_with("unparsed") {
            continue;
        }
        assert_eq!(our_verdict(&args), theirs, "{label}: openssl verify {cmd}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases in verify.txt");
}
