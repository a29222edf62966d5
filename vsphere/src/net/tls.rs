//! How the vCenter's certificate is checked (rustls with ring, no C toolchain):
//! the system CA store (plus `--ca-file`s), a pinned SHA-256 thumbprint (govc's format; CA,
//! name and expiry are then not checked, the handshake signature still is), or nothing at
//! all when `no_verify` was asked for.
//!
//! Every verifier records the presented certificate's thumbprint when it refuses it, so the
//! error can show it (as govc does) for the user to compare with the vSphere Client.

use crate::connect::{Trust, format_thumbprint};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::{Arc, Mutex};

/// Why the last handshake was refused, in a sentence (never holds a secret).
pub type Refusal = Arc<Mutex<Option<String>>>;

pub fn sha256(der: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn record(r: &Refusal, msg: String) {
    if let Ok(mut g) = r.lock() {
        *g = Some(msg);
    }
}

#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    algs: WebPkiSupportedAlgorithms,
    refusal: Refusal,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = sha256(end_entity.as_ref());
        if got == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        record(
            &self.refusal,
            format!(
                "the server's certificate has SHA-256 thumbprint {}, not the pinned {}; refusing to connect (a different server, or the certificate was replaced: check it in the vSphere Client)",
                format_thumbprint(&got),
                format_thumbprint(&self.pin)
            ),
        );
        Err(rustls::Error::General("thumbprint mismatch".into()))
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// `no_verify`: accepts any certificate (the handshake signature is still checked, which
/// costs nothing and keeps the TLS session itself sound).
#[derive(Debug)]
struct Unverified {
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The CA store, reporting the presented thumbprint when the chain is refused.
#[derive(Debug)]
struct Roots {
    inner: Arc<WebPkiServerVerifier>,
    refusal: Refusal,
}

impl ServerCertVerifier for Roots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)
            .inspect_err(|e| {
                record(
                    &self.refusal,
                    format!(
                        "the server's certificate is not trusted ({e}); its SHA-256 thumbprint is {}: if that is your vCenter's (compare with the vSphere Client or `govc about.cert -thumbprint`), pin it with --thumbprint or GOVC_THUMBPRINT, or add its CA with --ca-file",
                        format_thumbprint(&sha256(end_entity.as_ref()))
                    ),
                )
            })
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(m, c, d)
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(m, c, d)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The rustls client configuration for a trust mode. Errors are sentences.
pub fn client_config(trust: &Trust, refusal: &Refusal) -> Result<ClientConfig, String> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let algs = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::Thumbprint(pin) => Arc::new(Pinned {
            pin: *pin,
            algs,
            refusal: refusal.clone(),
        }),
        Trust::NoVerify => Arc::new(Unverified { algs }),
        Trust::System { ca_files } => {
            let mut roots = RootCertStore::empty();
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            for f in ca_files {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(f)
                    .map_err(|e| format!("--ca-file {}: {e}", f.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--ca-file {}: {e}", f.display()))?;
                if certs.is_empty() {
                    return Err(format!(
                        "--ca-file {}: no PEM certificate in it",
                        f.display()
                    ));
                }
                let (_, bad) = roots.add_parsable_certificates(certs);
                if bad > 0 {
                    return Err(format!(
                        "--ca-file {}: {bad} certificate(s) could not be used",
                        f.display()
                    ));
                }
            }
            if roots.is_empty() {
                return Err(
                    "no CA certificates found on this system (install ca-certificates, or give --ca-file, --thumbprint or GOVC_THUMBPRINT)".into(),
                );
            }
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS setup: {e}"))?;
            Arc::new(Roots {
                inner,
                refusal: refusal.clone(),
            })
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}
