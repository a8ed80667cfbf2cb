//! `--tls`: HTTPS on rustls (ring), HTTP/2 or HTTP/1.1 on each connection.
//!
//! Browsers speak HTTP/2 only over TLS, and HTTP/2 carries every stream of a
//! page on one connection, where over HTTP/1.1 a browser opens at most six
//! connections to an origin (so at most six open `EventSource`s).
//!
//! The server offers `h2` and `http/1.1` in ALPN; the connection is then
//! served as the client's first bytes say (the HTTP/2 preface or an
//! HTTP/1.1 request), by hyper-util's `auto` builder ([`crate::guard`] sets
//! its bounds). The certificate is `--cert` and `--key` (PEM), or one made
//! at start for `localhost`, `127.0.0.1` and `::1`, kept in memory only.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::Service as _;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::guard::{Activity, Busy};

/// The TLS flags of `chat`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TlsArgs {
    /// Serve HTTPS: HTTP/2 or HTTP/1.1 over TLS (ALPN h2, http/1.1), with a
    /// self-signed certificate for localhost, 127.0.0.1 and ::1 made at
    /// start, unless --cert and --key are given.
    #[arg(long)]
    tls: bool,
    /// The certificate chain, PEM (the server's first); implies --tls.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

impl TlsArgs {
    /// `https` with TLS, else `http`.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.tls || self.cert.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The acceptor, when TLS is on; an error says what is wrong with
    /// `--cert` or `--key`.
    pub(crate) fn acceptor(&self) -> Result<Option<Tls>, String> {
        let (chain, key, self_signed) = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let (chain, key) = load(cert, key)?;
                (chain, key, false)
            }
            _ if self.tls => {
                let (chain, key) = self_signed()?;
                (chain, key, true)
            }
            _ => return Ok(None),
        };
        let fingerprint = fingerprint(&chain[0]);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|config| config.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|e| match (&self.cert, &self.key) {
                (Some(cert), Some(key)) => format!(
                    "--cert {} and --key {}: {e} (is the key the certificate's?)",
                    cert.display(),
                    key.display()
                ),
                _ => format!("cannot set up TLS: {e}"),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Some(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            fingerprint,
            self_signed,
        }))
    }
}

/// A certificate chain and its key from PEM files.
fn load(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--cert {}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE-----)",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => format!(
            "--key {}: no private key in it (a PEM file with -----BEGIN PRIVATE KEY-----)",
            key.display()
        ),
        e => format!("--key {}: {e}", key.display()),
    })?;
    Ok((chain, key))
}

/// A self-signed certificate for this machine's names, and its key.
fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let failed = |e: rcgen::Error| format!("cannot make a self-signed certificate: {e}");
    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let mut params = rcgen::CertificateParams::new(names).map_err(failed)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "sse-core chat example (self-signed)",
    );
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    let key = PrivatePkcs8KeyDer::from(key.serialize_der());
    Ok((vec![cert.der().clone()], key.into()))
}

/// The SHA-256 fingerprint of `cert` as browsers show it: `AB:CD:...`.
fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    let mut text = String::new();
    for (i, byte) in digest.as_ref().iter().enumerate() {
        let colon = if i == 0 { "" } else { ":" };
        write!(text, "{colon}{byte:02X}").ok();
    }
    text
}

/// The TLS side of the server: its configuration and certificate.
pub(crate) struct Tls {
    acceptor: TlsAcceptor,
    /// Of the server's certificate.
    fingerprint: String,
    self_signed: bool,
}

impl Tls {
    /// Prints the certificate's fingerprint, and for a self-signed one what
    /// clients make of it.
    pub(crate) fn print_certificate(&self) {
        let what = if self.self_signed {
            "a self-signed certificate for localhost, 127.0.0.1 and ::1"
        } else {
            "the certificate of --cert"
        };
        println!(
            "chat: TLS with {what}, SHA-256 fingerprint {}",
            self.fingerprint
        );
        if self.self_signed {
            println!(
                "chat: (browsers warn about it and tail does not trust it; \
                 use --cert and --key for a trusted one)"
            );
        }
    }

    /// Serves a connection accepted at `accepted`: the TLS handshake, then
    /// HTTP/2 or HTTP/1.1 on `http`. The handshake and the first request's
    /// head must have arrived `idle` after `accepted`, and the connection
    /// is closed (gracefully) once no request has been open for `idle`
    /// since the end of the last response.
    pub(crate) async fn serve(
        &self,
        tcp: TcpStream,
        accepted: Instant,
        idle: Duration,
        router: Router,
        http: &auto::Builder<TokioExecutor>,
    ) {
        // A client that sends nothing, or half a ClientHello, is closed here.
        let deadline = accepted + idle;
        let Ok(Ok(stream)) = tokio::time::timeout_at(deadline, self.acceptor.accept(tcp)).await
        else {
            return;
        };
        let activity = Arc::new(Activity::default());
        let router = TowerToHyperService::new(router);
        let tracked = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let busy = tracked.begin();
            let response = router.call(request);
            async move {
                let response: Response<Body> = response.await?;
                Ok::<_, Infallible>(response.map(|body| Tracked { body, _busy: busy }))
            }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        tokio::select! {
            // The errors are the client's, as over plain HTTP.
            _ = connection.as_mut() => return,
            () = activity.idle_for(idle, accepted) => {}
        }
        // HTTP/2: GOAWAY, then closed once the streams that raced it end.
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
    }
}

/// A response body that keeps its request counted as open until dropped.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
